"""Who may see what: named rules on every view, checked in one place before each request.

Every view declares its rule with @access(...). A view without one is refused (fail closed),
and tests/integration/test_access_matrix.py fails on any route missing from the matrix.
Object-level predicates (can_edit, can_assess, can_decide) join these as the journeys land.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, abort, current_app, request
from flask_login import current_user

from marks.extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Rule:
    name: str
    allows: Callable[[Any], bool]
    # Answer 404 rather than 403 to a signed-in user who may not see it: do not reveal it exists.
    hidden: bool = False


def _signed_in(user: Any) -> bool:
    return bool(user.is_authenticated)


def _administrator(user: Any) -> bool:
    return _signed_in(user) and user.is_administrator


PUBLIC = Rule("public", lambda user: True)
SIGNED_IN = Rule("signed in", _signed_in)
ADMINISTRATOR = Rule("administrator", _administrator, hidden=True)

# Endpoints that Flask itself adds, with no view of ours to decorate.
BUILT_IN = {"static": PUBLIC}


def access(rule: Rule) -> Callable[[F], F]:
    """Declare who may see a view."""

    def decorate(view: F) -> F:
        view.access_rule = rule  # type: ignore[attr-defined]
        return view

    return decorate


def rule_for(endpoint: str) -> Rule | None:
    if endpoint in BUILT_IN:
        return BUILT_IN[endpoint]
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def enforce() -> Any:
    """The one place that checks a request against its view's rule."""
    if request.endpoint is None:
        return None  # no such route: Flask answers 404 or 405
    rule = rule_for(request.endpoint)
    if rule is None:
        current_app.logger.error("No access rule on %s: refused", request.endpoint)
        abort(403)
    if rule.allows(current_user):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    abort(404 if rule.hidden else 403)


def register(app: Flask) -> None:
    app.before_request(enforce)
