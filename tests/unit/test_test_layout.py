"""No test file imports another (STYLE.md): what more than one needs lives in tests/helpers/, in
a module beside them that is not a test file, or in a conftest.py as a fixture. An import
ties one test file to another's insides, and a fixture imported by name silently shadows the
conftest's fixture of that name."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def imports_of_test_modules(source: str, package: str) -> list[tuple[int, str]]:
    """Each import, in this module of `package`, of a test module or of anything in one: (line,
    what), the relative ones resolved."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [
            (node.lineno, name)
            for name in names
            if name.split(".")[0] == "tests"
            and any(part.startswith("test_") for part in name.split("."))
        ]
    return found


def test_the_check_sees_every_way_of_importing_a_test_module():
    source = "\n".join(
        [
            "import tests.unit.test_mail",
            "from tests.unit.test_mail import queue_one",
            "from tests.unit import test_mail",
            "from .test_access_matrix import MATRIX",
            "from . import test_access_matrix",
            "from ..unit.test_mail import queue_one",
            # What a test file may import: helpers, fixtures' modules, the factories.
            "from tests.helpers.outbox import queue_one",
            "from tests.integration.conftest import production",
            "from tests import factories",
            "from .application_pages import start",
            "import pytest",
        ]
    )
    assert imports_of_test_modules(source, "tests.integration") == [
        (1, "tests.unit.test_mail"),
        (2, "tests.unit.test_mail.queue_one"),
        (3, "tests.unit.test_mail"),
        (4, "tests.integration.test_access_matrix.MATRIX"),
        (5, "tests.integration.test_access_matrix"),
        (6, "tests.unit.test_mail.queue_one"),
    ]


def test_no_test_file_imports_another():
    found = [
        f"{path.relative_to(TESTS.parent)}:{line} imports {name}"
        for path in sorted(TESTS.rglob("*.py"))
        for line, name in imports_of_test_modules(
            path.read_text(encoding="utf-8"),
            ".".join(path.relative_to(TESTS.parent).parent.parts),
        )
    ]
    assert found == [], "move what is shared to tests/helpers/ or a conftest.py:\n" + "\n".join(
        found
    )
