"""One place changes state (STYLE.md, convention 2): this reads the code of marks/ and fails,
naming file and line, on anything outside workflow.transition() that writes a state; and it
checks the transition tables themselves (distinct actions, who may, who reads the reason, the
states)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import marks
from marks import permissions, workflow
from marks.extensions import db
from marks.states import ReasonAudience

MARKS = Path(marks.__file__).parent
ENGINE = MARKS / "workflow.py"

# (file under marks/, function): why it may write a state itself. Only this one.
EXCEPTIONS = {
    ("mail.py", "send_queued"): (
        "The worker records what the mail server answered (sent; or failed for good) with "
        "one conditional UPDATE per email, as it claims each one with another, so that two "
        "workers never send an email twice: the outcome of sending, decided by nobody, and "
        "written without holding the row (or an audit event per email) while it talks to "
        "the mail server. Sending again what failed is workflow.EMAIL's resend."
    ),
}


def _modules() -> list[Path]:
    return sorted(
        path
        for path in MARKS.rglob("*.py")
        if "migrations" not in path.relative_to(MARKS).parts and path != ENGINE
    )


def _is_state_key(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value == "state"


def _dict_sets_state(node: ast.AST) -> bool:
    return isinstance(node, ast.Dict) and any(_is_state_key(key) for key in node.keys)


def _targets(node: ast.expr) -> Iterator[ast.expr]:
    """Each thing an assignment's target writes: a, b = ... writes a and b."""
    if isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            yield from _targets(element)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)
    else:
        yield node


def _is_sa_update(node: ast.AST) -> bool:
    """sa.update(...): an UPDATE statement, whose rows may come as dicts."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "update"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "sa"
    )


class StateWrites(ast.NodeVisitor):
    """Where a module writes a state: (line, function, what)."""

    def __init__(self) -> None:
        self.found: list[tuple[int, str, str]] = []
        self.function = "<module>"

    def _found(self, node: ast.AST, what: str) -> None:
        self.found.append((node.lineno, self.function, what))

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.function = self.function, node.name
        # The rows of an UPDATE given as dicts (a bulk UPDATE, or .values(**row)).
        if any(_is_sa_update(n) for n in ast.walk(node)):
            for n in ast.walk(node):
                if _dict_sets_state(n):
                    self._found(n, 'a dict with a "state" key, in a function that UPDATEs')
        self.generic_visit(node)
        self.function = outer

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def _check_target(self, target: ast.expr) -> None:
        for written in _targets(target):
            attribute = isinstance(written, ast.Attribute) and written.attr == "state"
            key = isinstance(written, ast.Subscript) and _is_state_key(written.slice)
            if attribute or key:
                self._found(written, f"assigns {ast.unparse(written)}")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check_target(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "values":
            for keyword in node.keywords:
                if keyword.arg == "state" or (
                    keyword.arg is None and _dict_sets_state(keyword.value)
                ):
                    self._found(node, f"{ast.unparse(func)}(state=...)")
            if any(_dict_sets_state(arg) for arg in node.args):
                self._found(node, f'{ast.unparse(func)}({{"state": ...}})')
        if (
            isinstance(func, ast.Name)
            and func.id == "setattr"
            and len(node.args) > 1
            and _is_state_key(node.args[1])
        ):
            self._found(node, 'setattr(..., "state", ...)')
        self.generic_visit(node)


def state_writes() -> list[str]:
    """Every write of a state outside workflow.py, but the exceptions: "file:line: what"."""
    found = []
    for path in _modules():
        visitor = StateWrites()
        visitor.visit(ast.parse(path.read_text(), filename=str(path)))
        name = path.relative_to(MARKS).as_posix()
        for line, function, what in visitor.found:
            if (name, function) not in EXCEPTIONS:
                found.append(f"marks/{name}:{line} in {function}(): {what}")
    return found


def test_nothing_but_the_engine_writes_a_state():
    found = state_writes()
    assert not found, (
        "Change a state with workflow.transition() and a row of the thing's table, not by "
        "hand (a new row may be created in its first state):\n" + "\n".join(found)
    )


def test_the_checker_sees_each_way_of_writing_a_state():
    source = """
def f(thing, row, rows, statement):
    thing.state = 1
    thing.state += 1
    thing.state: int = 1
    thing.state, thing.when = 1, 2
    row["state"] = 1
    statement.values(state=1)
    statement.values(**{"state": 1})
    statement.values({"state": 1})
    setattr(thing, "state", 1)
    Model(state=1)  # a new row in its first state: allowed
    thing.state == 1  # reading: allowed
    export = {"state": str(thing.state)}  # reading: allowed


def g(rows):
    rows.append({"id": 1, "state": 1})
    db.session.execute(sa.update(Model), rows)
"""
    visitor = StateWrites()
    visitor.visit(ast.parse(source))
    lines = sorted(line for line, _, _ in visitor.found)
    assert lines == [*range(3, 12), 18], visitor.found


# --- The tables ------------------------------------------------------------------------------


def _import_every_module() -> None:
    """Each table registers itself when its module is imported: import them all."""
    for module in pkgutil.walk_packages(marks.__path__, "marks."):
        if not module.name.startswith("marks.migrations"):
            importlib.import_module(module.name)


_import_every_module()
TABLES = list(workflow.MACHINES.values())
ROWS = [(table, t) for table in TABLES for t in table.transitions]


def _row_id(value: Any) -> str:
    if isinstance(value, workflow.Machine):
        return value.subject
    if isinstance(value, workflow.Transition):
        return value.action
    return str(value)


def test_every_model_with_a_state_has_a_table():
    with_state = {
        mapper.class_ for mapper in db.Model.registry.mappers if "state" in mapper.columns
    }
    assert with_state - set(workflow.MACHINES) == set()


@pytest.mark.parametrize("table", TABLES, ids=_row_id)
def test_each_tables_actions_are_distinct(table):
    actions = [t.action for t in table.transitions]
    assert len(actions) == len(set(actions)), actions


def _function_node(function: Callable) -> ast.AST | None:
    """The def or lambda that made the function, from its module's source."""
    code = function.__code__
    tree = ast.parse(Path(inspect.getsourcefile(function)).read_text())
    arguments = list(code.co_varnames[: code.co_argcount])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.FunctionDef | ast.Lambda)
            and node.lineno == code.co_firstlineno
            and [a.arg for a in node.args.args] == arguments
        ):
            return node
    return None


def adapted_predicate(function: Callable) -> str | None:
    """The permissions.py predicate that a one-line adapter calls, or None if the function is
    not one (a def whose body, but its docstring, is one `return permissions.<p>(...)`, or a
    lambda that is that call)."""
    node = _function_node(function)
    if isinstance(node, ast.Lambda):
        call = node.body
    elif isinstance(node, ast.FunctionDef):
        body = [s for s in node.body if not (isinstance(s, ast.Expr) and _docstring(s))]
        call = body[0].value if len(body) == 1 and isinstance(body[0], ast.Return) else None
    else:
        return None
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "permissions"
    ):
        return None
    predicate = getattr(permissions, call.func.attr, None)
    return call.func.attr if _in_permissions(predicate) else None


def _docstring(statement: ast.Expr) -> bool:
    return isinstance(statement.value, ast.Constant) and isinstance(statement.value.value, str)


def _in_permissions(function: Any) -> bool:
    return inspect.isfunction(function) and function.__module__ == permissions.__name__


def _one_call(person, membership):
    return permissions.may_manage_members(person, membership.council_id)


def _two_rules(person, thing):
    return permissions.is_assessor(person) and thing.assessor_id == person.id


def _not_permissions(person, thing):
    return workflow.SYSTEM(person, thing)


def test_an_adapter_is_one_call_of_a_predicate_of_permissions():
    assert adapted_predicate(_one_call) == "may_manage_members"
    assert adapted_predicate(lambda person, thing: permissions.may_administer(person, thing))
    assert adapted_predicate(_two_rules) is None
    assert adapted_predicate(_not_permissions) is None
    assert adapted_predicate(lambda person, thing: permissions.SIGNED_IN) is None


@pytest.mark.parametrize(("table", "row"), ROWS, ids=_row_id)
def test_who_may_is_said_in_permissions(table, row):
    may = row.may
    assert (
        may is workflow.SYSTEM
        or (_in_permissions(may) and getattr(permissions, may.__name__) is may)
        or adapted_predicate(may) is not None
    ), (
        f"{table.subject}.{row.action}: who may is {may.__module__}.{may.__qualname__}: make it "
        "workflow.SYSTEM, a predicate of marks/permissions.py, or a one-line call of one"
    )


@pytest.mark.parametrize(("table", "row"), ROWS, ids=_row_id)
def test_a_reason_says_who_may_read_it(table, row):
    assert row.reason is None or isinstance(row.reason, ReasonAudience), row.reason
    assert not row.needs_reason or row.reason is not None, "it needs a reason nobody may read"


@pytest.mark.parametrize(("table", "row"), ROWS, ids=_row_id)
def test_the_states_are_the_models_own(table, row):
    states = table.model.__table__.c.state.type.enum_class
    for state in [*row.sources, row.target, *row.refusals]:
        assert isinstance(state, states), f"{state!r} is not a {states.__name__}"
    assert row.sources, "it starts from no state"
