"""permissions.py is where every rule about who may lives: the blueprints import it, never the
other way round (the one import loop the code had)."""

from __future__ import annotations

import ast
from pathlib import Path

import marks

MARKS = Path(marks.__file__).parent
BLUEPRINTS = {p.name for p in MARKS.iterdir() if (p / "routes.py").is_file()}


def test_permissions_imports_no_blueprint():
    tree = ast.parse((MARKS / "permissions.py").read_text())
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert {"accounts", "admin", "council"} <= BLUEPRINTS
    assert [m for m in imported if m.split(".")[:2][-1] in BLUEPRINTS] == []
