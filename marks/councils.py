"""Councils: importing them from a CSV of the ONS columns, and how their names are searched."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import sqlalchemy as sa

from marks.extensions import db
from marks.models import Council
from marks.states import CouncilKind, Nation

COLUMNS = ("gss_code", "name", "kind", "nation", "parent_gss_code", "parent_name")
ENGLAND_AND_WALES = Path(__file__).parent / "data" / "councils-england-wales-2021.csv"


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


def search_name(name: str) -> str:
    """Lower case with accents folded, so "Ynys Môn" is found by "ynys mon"."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def read_csv(stream: TextIO) -> list[dict[str, str]]:
    """Read and check every row; raise CouncilFileError listing all problems, or return the rows."""
    reader = csv.DictReader(stream)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise CouncilFileError([f"The file has no column named {c}" for c in missing])
    rows, problems, seen = [], [], set()
    kinds, nations = {k.value for k in CouncilKind}, {n.value for n in Nation}
    for line, row in enumerate(reader, start=2):
        row = {k: (row.get(k) or "").strip() for k in COLUMNS}
        code = row["gss_code"]
        if not code or len(code) != 9 or not code[0].isalpha() or not code[1:].isdigit():
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


def import_rows(rows: Iterable[dict[str, str]]) -> ImportResult:
    """Add new councils and update changed ones, by GSS code. Flushes; the caller commits."""
    rows = list(rows)
    existing = {c.gss_code: c for c in db.session.scalars(sa.select(Council))}
    result = ImportResult()
    for row in rows:
        council = existing.get(row["gss_code"])
        values = {
            "name": row["name"],
            "search_name": search_name(row["name"]),
            "kind": CouncilKind(row["kind"]),
            "nation": Nation(row["nation"]),
        }
        if council is None:
            council = Council(gss_code=row["gss_code"], **values)
            db.session.add(council)
            existing[council.gss_code] = council
            result.added.append(council.gss_code)
        elif any(getattr(council, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(council, k, v)
            result.updated.append(council.gss_code)
        else:
            result.unchanged += 1
    db.session.flush()
    problems = []
    for row in rows:
        parent_code = row["parent_gss_code"]
        if parent_code and parent_code not in existing:
            problems.append(f"{row['gss_code']}: parent {parent_code} is not a known council")
        elif parent_code:
            existing[row["gss_code"]].parent_id = existing[parent_code].id
    if problems:
        raise CouncilFileError(problems)
    db.session.flush()
    return result


def import_file(path: Path) -> ImportResult:
    with path.open(newline="", encoding="utf-8-sig") as stream:
        return import_rows(read_csv(stream))
