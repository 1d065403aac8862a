"""Councils: finding, adding, editing and merging them, importing them from a CSV of the ONS
columns (with a preview of what would change), and how their names are searched."""

from __future__ import annotations

import csv
import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import sqlalchemy as sa

from marks import audit
from marks.extensions import db
from marks.models import Application, Award, Council, Invitation, Membership, User, utcnow
from marks.states import OPEN_APPLICATION_STATES, CouncilKind, MembershipState, Nation

COLUMNS = ("gss_code", "name", "kind", "nation", "parent_gss_code", "parent_name")
ENGLAND_AND_WALES = Path(__file__).parent / "data" / "councils-england-wales-2021.csv"
CURRENT_MEMBERSHIP = (MembershipState.REQUESTED, MembershipState.ACTIVE)


class CouncilFileError(ValueError):
    """A CSV that cannot be imported, with every problem found in it."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class CouncilRefused(Exception):
    """A change to the councils that cannot be made, with a message to show and the form field
    it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0


def search_name(name: str) -> str:
    """Lower case with accents folded, so "Ynys Môn" is found by "ynys mon"."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def is_gss_code(code: str) -> bool:
    """A GSS code is a letter and 8 digits, like E06000001."""
    return len(code) == 9 and code[0].isascii() and code[0].isalpha() and code[1:].isdigit()


# --- Finding councils ---------------------------------------------------------------------------


def find(gss_code: str) -> Council | None:
    return db.session.scalar(sa.select(Council).where(Council.gss_code == gss_code))


def matching(
    query: str = "", *, nation: Nation | None = None, kind: CouncilKind | None = None
) -> sa.Select[tuple[Council]]:
    """Councils whose GSS code starts with the query or whose name holds every word of it,
    accents and case aside; merged ones too (the list says what they were merged into)."""
    statement = sa.select(Council)
    words = search_name(query).split()
    if words:
        by_name = sa.and_(*(Council.search_name.contains(w, autoescape=True) for w in words))
        by_code = Council.gss_code.startswith(query.strip().upper(), autoescape=True)
        statement = statement.where(sa.or_(by_name, by_code))
    if nation is not None:
        statement = statement.where(Council.nation == nation)
    if kind is not None:
        statement = statement.where(Council.kind == kind)
    return statement.order_by(Council.search_name, Council.gss_code)


def by_id(ids: Iterable[int | None]) -> dict[int, Council]:
    """Councils by id, in one query: for the parents or merged-into councils of a page."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {c.id: c for c in db.session.scalars(sa.select(Council).where(Council.id.in_(wanted)))}


@dataclass(frozen=True)
class Counts:
    """What points at a council: what a merge would move, and what its page shows."""

    members: int
    requests: int
    past_memberships: int
    applications: int
    open_application: Application | None
    awards: int
    invitations: int
    children: int
    merged_from: list[Council]


def counts(council: Council) -> Counts:
    def count(column: sa.ColumnElement, *where: sa.ColumnElement) -> int:
        return db.session.scalar(sa.select(sa.func.count()).where(column == council.id, *where))

    return Counts(
        members=count(Membership.council_id, Membership.state == MembershipState.ACTIVE),
        requests=count(Membership.council_id, Membership.state == MembershipState.REQUESTED),
        past_memberships=count(Membership.council_id, Membership.state.not_in(CURRENT_MEMBERSHIP)),
        applications=count(Application.council_id),
        open_application=open_application(council),
        awards=count(Award.council_id),
        invitations=count(Invitation.council_id),
        children=count(Council.parent_id),
        merged_from=list(
            db.session.scalars(
                sa.select(Council)
                .where(Council.merged_into_id == council.id)
                .order_by(Council.name)
            )
        ),
    )


def open_application(council: Council) -> Application | None:
    return db.session.scalar(
        sa.select(Application).where(
            Application.council_id == council.id,
            Application.state.in_(OPEN_APPLICATION_STATES),
        )
    )


# --- Adding and editing -------------------------------------------------------------------------


def _parent(code: str | None, council: Council | None = None) -> Council | None:
    """The parent council named by its GSS code, refusing one that is unknown, merged, or that
    would make a loop."""
    if not code:
        return None
    parent = find(code)
    if parent is None:
        raise CouncilRefused(f"There is no council with the GSS code {code}", "parent_gss_code")
    if parent.merged_into_id is not None:
        raise CouncilRefused(
            f"{parent.name} has been merged into another council: give that one's GSS code",
            "parent_gss_code",
        )
    ancestor: Council | None = parent
    while council is not None and ancestor is not None:
        if ancestor.id == council.id:
            raise CouncilRefused(
                "A council cannot be its own parent, or the parent of its parent",
                "parent_gss_code",
            )
        ancestor = ancestor.parent
    return parent


def add(
    gss_code: str,
    name: str,
    kind: CouncilKind,
    nation: Nation,
    website: str | None,
    actor: User,
    *,
    parent_gss_code: str | None = None,
) -> Council:
    """Add a council (Scottish, Northern Irish, a town or parish council...). Flushes."""
    gss_code = gss_code.strip().upper()
    if not is_gss_code(gss_code):
        raise CouncilRefused(
            "Enter a GSS code in the correct format: a letter and 8 digits, like S12000033",
            "gss_code",
        )
    taken = find(gss_code)
    if taken is not None:
        raise CouncilRefused(
            f"The GSS code {gss_code} is already used by {taken.name}: "
            "check the code, or edit that council",
            "gss_code",
        )
    council = Council(
        gss_code=gss_code,
        name=name.strip(),
        search_name=search_name(name.strip()),
        kind=kind,
        nation=nation,
        website=website or None,
    )
    parent = _parent(parent_gss_code)
    council.parent_id = parent.id if parent else None
    db.session.add(council)
    db.session.flush()
    audit.record(
        "council.added",
        council,
        actor=actor,
        council_id=council.id,
        gss_code=council.gss_code,
        name=council.name,
        kind=str(kind),
        nation=str(nation),
        parent=parent.gss_code if parent else None,
        website=council.website,
    )
    return council


def edit(
    council: Council,
    *,
    name: str,
    kind: CouncilKind,
    nation: Nation,
    website: str | None,
    parent_gss_code: str | None,
    actor: User,
) -> dict[str, list[str | None]]:
    """Change a council's details (never its GSS code: public addresses use it). Returns what
    changed, field by field, [old, new]; flushes."""
    parent = _parent(parent_gss_code, council)
    old_parent = db.session.get(Council, council.parent_id) if council.parent_id else None
    wanted = {
        "name": name.strip(),
        "kind": kind,
        "nation": nation,
        "website": website or None,
    }
    changes: dict[str, list[str | None]] = {}
    for key, value in wanted.items():
        old = getattr(council, key)
        if old != value:
            changes[key] = [_text(old), _text(value)]
            setattr(council, key, value)
    if (parent.id if parent else None) != council.parent_id:
        changes["parent"] = [
            old_parent.gss_code if old_parent else None,
            parent.gss_code if parent else None,
        ]
        council.parent_id = parent.id if parent else None
    council.search_name = search_name(council.name)
    if not changes:
        return changes
    db.session.flush()
    if {"name", "kind", "nation"} & changes.keys():
        _touch_awards([council.id])
    audit.record("council.edited", council, actor=actor, council_id=council.id, changes=changes)
    return changes


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _touch_awards(council_ids: list[int]) -> None:
    """The register shows councils' names, kinds and nations, and its caches follow the awards'
    updated_at: mark the awards of changed councils as changed too."""
    if council_ids:
        db.session.execute(
            sa.update(Award).where(Award.council_id.in_(council_ids)).values(updated_at=utcnow())
        )


# --- Merging duplicates ---------------------------------------------------------------------------


def why_not_merge(duplicate: Council, into: Council) -> str | None:
    """Why the duplicate cannot be merged into the other council, or None if it can."""
    if duplicate.id == into.id:
        return "A council cannot be merged into itself: give the GSS code of the one to keep"
    if duplicate.merged_into_id is not None:
        return f"{duplicate.name} has already been merged into another council"
    if into.merged_into_id is not None:
        return f"{into.name} has been merged into another council: merge into that one instead"
    if open_application(duplicate) is not None and open_application(into) is not None:
        return (
            f"Both councils have an application in progress: withdraw or decide one of them "
            f"before merging {duplicate.name} into {into.name}"
        )
    return None


def merge_target(duplicate: Council, gss_code: str) -> Council:
    """The council to merge the duplicate into, by its GSS code; CouncilRefused if there is no
    such council or the merge cannot be made."""
    into = find(gss_code.strip().upper())
    if into is None:
        raise CouncilRefused(f"There is no council with the GSS code {gss_code}", "into")
    problem = why_not_merge(duplicate, into)
    if problem:
        raise CouncilRefused(problem, "into")
    return into


def merge(duplicate: Council, into: Council, actor: User) -> Counts:
    """Move everything that points at the duplicate to the council kept, and mark the duplicate
    as merged into it, in the caller's transaction. Returns what was moved."""
    # Lock both councils (PostgreSQL) so nothing is added to either while they merge.
    db.session.execute(
        sa.select(Council.id).where(Council.id.in_([duplicate.id, into.id])).with_for_update()
    )
    problem = why_not_merge(duplicate, into)
    if problem:
        raise CouncilRefused(problem, "into")
    moved = counts(duplicate)

    # A person in both councils keeps their place in the one kept.
    kept_users = set(
        db.session.scalars(
            sa.select(Membership.user_id).where(
                Membership.council_id == into.id, Membership.state.in_(CURRENT_MEMBERSHIP)
            )
        )
    )
    for membership in db.session.scalars(
        sa.select(Membership).where(Membership.council_id == duplicate.id)
    ):
        if membership.state in CURRENT_MEMBERSHIP and membership.user_id in kept_users:
            membership.state = MembershipState.REMOVED
            membership.decided_at = utcnow()
            membership.decided_by_id = actor.id
        membership.council_id = into.id

    for application in db.session.scalars(
        sa.select(Application).where(Application.council_id == duplicate.id)
    ):
        application.council_id = into.id

    _move_awards(duplicate, into)

    for invitation in db.session.scalars(
        sa.select(Invitation).where(Invitation.council_id == duplicate.id)
    ):
        invitation.council_id = into.id

    for child in db.session.scalars(
        sa.select(Council).where(Council.parent_id == duplicate.id, Council.id != into.id)
    ):
        child.parent_id = into.id
    if into.parent_id == duplicate.id:
        into.parent_id = duplicate.parent_id if duplicate.parent_id != into.id else None
    # No chains: councils merged into the duplicate now point at the council kept.
    for earlier in moved.merged_from:
        earlier.merged_into_id = into.id
    duplicate.merged_into_id = into.id
    db.session.flush()
    audit.record(
        "council.merged",
        duplicate,
        actor=actor,
        council_id=into.id,
        duplicate=duplicate.gss_code,
        into=into.gss_code,
        memberships=moved.members + moved.requests + moved.past_memberships,
        applications=moved.applications,
        awards=moved.awards,
        invitations=moved.invitations,
        children=moved.children,
    )
    return moved


def _move_awards(duplicate: Council, into: Council) -> None:
    """Move the awards; the council kept shows the most recent of either on the register."""
    both = (duplicate.id, into.id)
    awards = list(db.session.scalars(sa.select(Award).where(Award.council_id.in_(both))))
    if not awards:
        return
    for award in awards:
        award.is_latest = False
    db.session.flush()  # one latest award per council: clear both before choosing again
    for award in awards:
        award.council_id = into.id
    max(awards, key=lambda a: (a.awarded_on, a.id)).is_latest = True
    db.session.flush()


# --- Importing from a CSV -----------------------------------------------------------------------

MAX_FILE_BYTES = 2 * 1024 * 1024


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
        changes = [
            FieldChange(label, _text(getattr(council, key)), new)
            for label, key, new in (
                ("Name", "name", row["name"]),
                ("Kind", "kind", row["kind"]),
                ("Nation", "nation", row["nation"]),
            )
            if _text(getattr(council, key)) != new
        ]
        folded = search_name(row["name"])
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
        for key, value in _values(rows[update.council.gss_code]).items():
            setattr(update.council, key, value)
        result.updated.append(update.council.gss_code)
    db.session.flush()
    existing = {c.gss_code: c for c in db.session.scalars(sa.select(Council))}
    for row in plan.rows:
        if row["parent_gss_code"]:
            existing[row["gss_code"]].parent_id = existing[row["parent_gss_code"]].id
    db.session.flush()
    _touch_awards([u.council.id for u in plan.updated])
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


def _values(row: dict[str, str]) -> dict[str, object]:
    return {
        "name": row["name"],
        "search_name": search_name(row["name"]),
        "kind": CouncilKind(row["kind"]),
        "nation": Nation(row["nation"]),
    }


def import_rows(rows: Iterable[dict[str, str]], actor: User | None = None) -> ImportResult:
    """Add new councils and update changed ones, by GSS code. Flushes; the caller commits."""
    return apply_import(preview(rows), actor)


def import_file(path: Path) -> ImportResult:
    with path.open(newline="", encoding="utf-8-sig") as stream:
        return import_rows(read_csv(stream))
