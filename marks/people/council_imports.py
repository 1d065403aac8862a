"""Importing councils from a CSV of the ONS columns: reading and checking the file, a preview of
what would change, and making those changes. Each council in mySociety's file of UK council
names gets the official name and the short name from it, its ONS name kept beside them; and
import_uk_councils loads every council of the UK."""

from __future__ import annotations

import csv
import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import sqlalchemy as sa

from marks import audit
from marks.extensions import db
from marks.models import Council, User
from marks.people.councils import as_text, is_gss_code, search_names, touch_awards
from marks.states import CouncilKind, Nation

COLUMNS = ("gss_code", "name", "kind", "nation", "parent_gss_code", "parent_name")
ENGLAND_AND_WALES = Path(__file__).parents[1] / "data" / "councils-england-wales-2021.csv"
UK_NAMES = Path(__file__).parents[1] / "data" / "uk-councils-names.csv"
NAMES_FILE_ROW = "names file"  # a row's "source": made from UK_NAMES, with no ONS name
# The names file's local-authority-type-name: the kind of council that is. Combined authorities
# and the Greater London Authority are local authorities of no other kind.
KINDS = {
    "Non-metropolitan district": CouncilKind.DISTRICT,
    "County": CouncilKind.COUNTY,
    "Unitary authority": CouncilKind.UNITARY,
    "Metropolitan district": CouncilKind.METROPOLITAN_BOROUGH,
    "London borough": CouncilKind.LONDON_BOROUGH,
    "City corporation": CouncilKind.CITY_OF_LONDON,
    "Welsh unitary authority": CouncilKind.WELSH_PRINCIPAL,
    "Scottish unitary authority": CouncilKind.SCOTTISH,
    "NI district": CouncilKind.NORTHERN_IRISH,
    "Combined authority": CouncilKind.OTHER,
    "Strategic Regional Authority": CouncilKind.OTHER,
}
MAX_FILE_BYTES = 2 * 1024 * 1024


class CouncilFileError(ValueError):
    """A CSV that cannot be imported, with every problem found in it."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0


def read_upload(data: bytes) -> str:
    """An uploaded file's text: at most MAX_FILE_BYTES (pass one byte more to know), UTF-8
    (a byte-order mark, as Excel writes, is dropped)."""
    if len(data) > MAX_FILE_BYTES:
        raise CouncilFileError(["The file must be smaller than 2MB"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CouncilFileError(
            ["The file must be saved as UTF-8: in Excel, choose “CSV UTF-8” when you save it"]
        ) from None


def read_csv(stream: TextIO) -> list[dict[str, str]]:
    """Read and check every row; raise CouncilFileError listing all problems, or return the rows."""
    reader = csv.DictReader(stream)
    try:
        return _check_rows(reader)
    except csv.Error as error:  # a field over 128kB, a stray NUL...: not a file of councils
        raise CouncilFileError(
            [f"Line {reader.line_num + 1}: this is not CSV we can read ({error})"]
        ) from None


def _check_rows(reader: csv.DictReader) -> list[dict[str, str]]:
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise CouncilFileError([f"The file has no column named {c}" for c in missing])
    rows, problems, seen = [], [], set()
    kinds, nations = {k.value for k in CouncilKind}, {n.value for n in Nation}
    for line, row in enumerate(reader, start=2):
        row = {k: (row.get(k) or "").strip() for k in COLUMNS}
        code = row["gss_code"]
        if not is_gss_code(code):
            problems.append(f"Line {line}: {code!r} is not a GSS code (a letter and 8 digits)")
        elif code in seen:
            problems.append(f"Line {line}: {code} appears more than once")
        seen.add(code)
        if not row["name"]:
            problems.append(f"Line {line}: the council has no name")
        if row["kind"] not in kinds:
            problems.append(f"Line {line}: {row['kind']!r} is not a kind of council we know")
        if row["nation"] not in nations:
            problems.append(f"Line {line}: {row['nation']!r} is not a UK nation")
        rows.append(row)
    if problems:
        raise CouncilFileError(problems)
    return rows


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str | None
    new: str | None


@dataclass
class CouncilUpdate:
    council: Council
    changes: list[FieldChange]


@dataclass
class ImportPreview:
    """What importing the rows would do, worked out without writing anything."""

    rows: list[dict[str, str]]
    added: list[dict[str, str]] = field(default_factory=list)
    updated: list[CouncilUpdate] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @staticmethod
    def name_for(row: dict[str, str]) -> str:
        """The name a council added from the row is called by (its official name, if the
        names file has it)."""
        return str(_values(row)["name"])

    @property
    def fingerprint(self) -> str:
        """Changes when what the import would do does: a preview shown is a preview applied."""
        text = repr(
            (
                [r["gss_code"] for r in self.added],
                [(u.council.gss_code, u.changes) for u in self.updated],
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()


def preview(rows: Iterable[dict[str, str]]) -> ImportPreview:
    """Compare checked rows (from read_csv) with the councils held, by GSS code: which would be
    added, which updated (old and new values), which are unchanged. Writes nothing; raises
    CouncilFileError if a row names a parent that is neither held nor in the rows."""
    rows = list(rows)
    existing = {c.gss_code: c for c in db.session.scalars(sa.select(Council))}
    codes_by_id = {c.id: code for code, c in existing.items()}
    in_file = {r["gss_code"] for r in rows}
    problems = [
        f"{r['gss_code']}: parent {r['parent_gss_code']} is not a known council"
        for r in rows
        if r["parent_gss_code"]
        and r["parent_gss_code"] not in existing
        and r["parent_gss_code"] not in in_file
    ]
    if problems:
        raise CouncilFileError(problems)
    result = ImportPreview(rows=rows)
    for row in rows:
        council = existing.get(row["gss_code"])
        if council is None:
            result.added.append(row)
            continue
        values = _values(row, council)
        changes = [
            FieldChange(label, as_text(getattr(council, key)), as_text(values[key]))
            for label, key in FIELDS
            if getattr(council, key) != values[key]
        ]
        folded = values["search_name"]
        if not changes and council.search_name != folded:
            changes.append(FieldChange("Search name", council.search_name, folded))
        parent = row["parent_gss_code"]
        if parent and codes_by_id.get(council.parent_id) != parent:  # a blank parent keeps it
            changes.append(FieldChange("Parent", codes_by_id.get(council.parent_id), parent))
        if changes:
            result.updated.append(CouncilUpdate(council, changes))
        else:
            result.unchanged.append(council.gss_code)
    return result


def apply_import(plan: ImportPreview, actor: User | None = None) -> ImportResult:
    """Make the changes a preview found, in the caller's transaction. Flushes."""
    result = ImportResult(unchanged=len(plan.unchanged))
    for row in plan.added:
        db.session.add(Council(gss_code=row["gss_code"], **_values(row)))
        result.added.append(row["gss_code"])
    rows = {r["gss_code"]: r for r in plan.rows}
    for update in plan.updated:
        for key, value in _values(rows[update.council.gss_code], update.council).items():
            setattr(update.council, key, value)
        result.updated.append(update.council.gss_code)
    db.session.flush()
    existing = {c.gss_code: c for c in db.session.scalars(sa.select(Council))}
    for row in plan.rows:
        if row["parent_gss_code"]:
            existing[row["gss_code"]].parent_id = existing[row["parent_gss_code"]].id
    db.session.flush()
    touch_awards([u.council.id for u in plan.updated])
    for code in result.added:
        council = existing[code]
        audit.record("council.added", council, actor=actor, council_id=council.id, via="import")
    for update in plan.updated:
        audit.record(
            "council.edited",
            update.council,
            actor=actor,
            council_id=update.council.id,
            via="import",
            changes={c.label.lower(): [c.old, c.new] for c in update.changes},
        )
    return result


FIELDS = (
    ("Name", "name"),
    ("Short name", "short_name"),
    ("ONS name", "ons_name"),
    ("Kind", "kind"),
    ("Nation", "nation"),
)


def _values(row: dict[str, str], council: Council | None = None) -> dict[str, object]:
    """A council's details from a row of the ONS columns, whose name is the ONS name (a row made
    from the names file has none: the one held is kept). A council in the names file is called
    by its official name and short name; any other by the row's name, keeping a short name
    typed."""
    if row.get("source") == NAMES_FILE_ROW:
        ons_name = council.ons_name if council else None
    else:
        ons_name = row["name"] or None
    named = uk_names().get(row["gss_code"])
    if named is not None:
        name, short_name = named["official-name"], named["nice-name"] or None
    else:
        name, short_name = row["name"], council.short_name if council else None
    return {
        "name": name,
        "short_name": short_name,
        "ons_name": ons_name,
        "search_name": search_names(name, short_name, ons_name),
        "kind": CouncilKind(row["kind"]),
        "nation": Nation(row["nation"]),
    }


@functools.cache
def uk_names() -> dict[str, dict[str, str]]:
    """mySociety's file of UK council names (marks/data/uk-councils-names.csv), its rows by GSS
    code."""
    with UK_NAMES.open(newline="", encoding="utf-8-sig") as stream:
        return {row["gss-code"]: row for row in csv.DictReader(stream)}


def uk_rows() -> list[dict[str, str]]:
    """The councils of the names file as rows of the ONS columns, with no ONS name."""
    return [
        {
            "gss_code": code,
            "name": named["official-name"],
            "kind": KINDS[named["local-authority-type-name"]].value,
            "nation": named["nation"],
            "parent_gss_code": "",
            "parent_name": "",
            "source": NAMES_FILE_ROW,
        }
        for code, named in uk_names().items()
    ]


def uk_council_rows() -> list[dict[str, str]]:
    """Every UK council, as rows to import: those of England and Wales from the ONS file, and
    the others of the names file (Scotland's, Northern Ireland's, combined authorities...)."""
    with ENGLAND_AND_WALES.open(newline="", encoding="utf-8-sig") as stream:
        rows = read_csv(stream)
    in_file = {row["gss_code"] for row in rows}
    return [*rows, *(r for r in uk_rows() if r["gss_code"] not in in_file)]


def import_uk_councils() -> ImportResult:
    """Every UK council (uk_council_rows). Flushes; the caller commits."""
    return import_rows(uk_council_rows())


def import_rows(rows: Iterable[dict[str, str]], actor: User | None = None) -> ImportResult:
    """Add new councils and update changed ones, by GSS code. Flushes; the caller commits."""
    return apply_import(preview(rows), actor)


def import_file(path: Path) -> ImportResult:
    with path.open(newline="", encoding="utf-8-sig") as stream:
        return import_rows(read_csv(stream))
