"""Who may see what: named rules on every view, checked in one place before each request.

Every view declares its rule with @access(...). A view without one is refused (fail closed),
and tests/integration/test_access_matrix.py fails on any route missing from the matrix.
The few views whose forms may be carried through sign-in say so beside it, with @replayable.
Object-level predicates (may_assess, may_see_evidence) are called with the object from the URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, Response, abort, current_app, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from marks.extensions import db, login_manager
from marks.states import (
    ApplicationState,
    AssessmentState,
    AssignmentState,
    MembershipRole,
    MembershipState,
    ReasonAudience,
)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Rule:
    name: str
    allows: Callable[[Any], bool]
    # Answer 404 rather than 403 to a signed-in user who may not see it: do not reveal it exists.
    hidden: bool = False
    # The staff's powers: only with a second factor (set up first if they have none).
    second_factor: bool = False


def _signed_in(user: Any) -> bool:
    return bool(user.is_authenticated)


def is_administrator(user: Any) -> bool:
    return _signed_in(user) and user.is_administrator


def is_assessor(user: Any) -> bool:
    return _signed_in(user) and user.is_assessor


PUBLIC = Rule("public", lambda user: True)
SIGNED_IN = Rule("signed in", _signed_in)
ADMINISTRATOR = Rule("administrator", is_administrator, hidden=True, second_factor=True)
ASSESSOR = Rule("assessor", is_assessor, hidden=True, second_factor=True)

# Endpoints that Flask itself adds, with no view of ours to decorate.
BUILT_IN = {"static": PUBLIC}


def access(rule: Rule) -> Callable[[F], F]:
    """Declare who may see a view."""

    def decorate(view: F) -> F:
        view.access_rule = rule  # type: ignore[attr-defined]
        return view

    return decorate


def replayable(view: F) -> F:
    """Declare that a form of this view, posted after the session was lost (it expired, or the
    person signed out in another tab), may be carried through sign-in and saved once the person
    has seen it and said so. Only for forms where typing would be lost (answers, scores,
    feedback), never an administrative action: another site's page can post those too."""
    view.replayable = True  # type: ignore[attr-defined]
    return view


def is_replayable(endpoint: str | None) -> bool:
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return bool(getattr(view, "replayable", False))


def is_replayable_path(path: str) -> bool:
    """Whether a path of this site, posted to, reaches a view declared @replayable."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        endpoint, _ = adapter.match(urlsplit(path).path, method="POST")
    except HTTPException:  # no such route, not for POST, or a redirect
        return False
    return is_replayable(endpoint)


def from_this_site() -> bool:
    """Whether the browser says this request came from a page of this site: `Sec-Fetch-Site:
    same-origin` (every current browser sends it), or else an `Origin` equal to this site's
    own (scheme and host, as ProxyFix passes them on). No such header, or any other answer
    (another site, another port of this host, "none"), and it did not."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin", "")
    return origin.lower() == f"{request.scheme}://{request.host}".lower()


def may_carry_through_sign_in() -> bool:
    """A form posted without a session is carried through sign-in only if this site's own
    page sent it and its view is @replayable: never another site's post (CSRF), and never an
    administrative action."""
    return from_this_site() and is_replayable(request.endpoint)


def rule_for(endpoint: str) -> Rule | None:
    if endpoint in BUILT_IN:
        return BUILT_IN[endpoint]
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


# The answer to a form posted by someone not signed in: the sign-in page, carrying what they
# typed (accounts.routes.sign_in_after_post, which registers itself here: this module imports
# no blueprint).
SIGNED_OUT_POST = "marks.signed_out_post"


def enforce() -> Any:
    """The one place that checks a request against its view's rule."""
    if request.endpoint is None:
        return None  # no such route: Flask answers 404 or 405
    rule = rule_for(request.endpoint)
    if rule is None:
        current_app.logger.error("No access rule on %s: refused", request.endpoint)
        abort(403)
    if rule.allows(current_user):
        if rule.second_factor and not current_user.two_factor_enrolled:
            # Made staff, or their device reset, since they signed in.
            here = request.full_path if request.query_string else request.path
            return redirect(url_for("accounts.set_up_two_factor", next=here))
        return None
    if not current_user.is_authenticated:
        if request.method == "POST":  # carried only if may_carry_through_sign_in()
            return current_app.extensions[SIGNED_OUT_POST]()
        return login_manager.unauthorized()
    abort(404 if rule.hidden else 403)


# --- Two-factor sign-in ---------------------------------------------------------------------


def must_use_two_factor(user: Any) -> bool:
    """Administrators and assessors hold the scheme's power: a password alone is not enough."""
    return bool(user.is_administrator or user.is_assessor)


def may_reset_two_factor(actor: Any, person: Any) -> bool:
    """Another active administrator: never the person alone (a lost device is exactly when
    someone else may be holding their password)."""
    return bool(
        actor.is_authenticated
        and actor.is_active
        and actor.is_administrator
        and actor.id != person.id
        and person.two_factor_enrolled
    )


def may_turn_off_two_factor(user: Any) -> bool:
    return bool(user.two_factor_enrolled and not must_use_two_factor(user))


# --- Belonging to a council: the one definition ---------------------------------------------


def active_membership(user: Any) -> Any:
    """The user's membership if it is active: what "a member of a council" means everywhere."""
    membership = user.membership if user.is_authenticated else None
    if membership is None or membership.state != MembershipState.ACTIVE:
        return None
    return membership


def council_of(user: Any) -> Any:
    """The council the user is an active member of, or None."""
    membership = active_membership(user)
    return None if membership is None else membership.council


def is_member_of(user: Any, council_id: int) -> bool:
    membership = active_membership(user)
    return membership is not None and membership.council_id == council_id


def is_lead_of(user: Any, council_id: int) -> bool:
    membership = active_membership(user)
    return (
        membership is not None
        and membership.council_id == council_id
        and membership.role == MembershipRole.LEAD
    )


def works_for(user: Any, council_id: int) -> bool:
    """Whether the user is a member of the council or has asked to be: either way they say
    they work there, and so never assess it (a conflict of interest). Not a right to see the
    council's pages: that is is_member_of, once the request is approved."""
    membership = user.membership if user.is_authenticated else None
    return membership is not None and membership.council_id == council_id


def may_manage_members(user: Any, council_id: int) -> bool:
    """The council's lead, or an administrator: answers requests to join, removes members,
    invites colleagues."""
    return is_administrator(user) or is_lead_of(user, council_id)


def may_manage_membership(user: Any, membership: Any) -> bool:
    """The membership table's rows: its council's lead, or an administrator."""
    return may_manage_members(user, membership.council_id)


# --- Each person's own home: where signing in lands them, what the header offers ------------


def has_council_pages(user: Any) -> bool:
    """Whether "Your council" is theirs: a member of a council (or asking to be), or a council
    user yet to join one. Staff with no council have none: theirs is their work."""
    if not _signed_in(user):
        return False
    return user.membership is not None or not (user.is_administrator or user.is_assessor)


def home_of(user: Any) -> str:
    """The endpoint of the person's own home: administrators the administration, assessors
    their assessments, a council's people their council; anyone else the public home page."""
    if is_administrator(user):
        return "admin.index"
    if is_assessor(user):
        return "assess.dashboard"
    if has_council_pages(user):
        return "council.home"
    return "public.index"


# --- Object-level predicates: called by views with the object from the URL -------------------


def may_assess(user: Any, assignment: Any) -> bool:
    """The assignment is the user's own and still active, and the application's council is
    not one they work for. Asked on every request to an assessment's pages and by the functions
    that change an assessment, not only when assigning: people join councils after that."""
    return bool(
        user.is_authenticated
        and user.is_assessor
        and assignment.assessor_id == user.id
        and assignment.state == AssignmentState.ACTIVE
        and not works_for(user, assignment.application.council_id)
    )


def may_see_evidence(user: Any, application: Any) -> bool:
    """The council's members, the assessors who may assess it and administrators."""
    if not user.is_authenticated:
        return False
    if user.is_administrator or is_member_of(user, application.council_id):
        return True
    from marks.models import Assignment

    assignment = db.session.scalar(
        sa.select(Assignment).where(
            Assignment.application_id == application.id,
            Assignment.assessor_id == user.id,
            Assignment.state == AssignmentState.ACTIVE,
        )
    )
    return assignment is not None and may_assess(user, assignment)


# --- Who may make a transition (the tables' rows): (person, thing) ---------------------------


def may_act_for_council(user: Any, application: Any) -> bool:
    """The application's council's active members: submit, withdraw, resubmit."""
    return is_member_of(user, application.council_id)


def may_share_practice(user: Any, thing: Any) -> bool:
    """The council's lead: offers its awarded answers to the library of good practice, offers
    them again, withdraws them at any time. What is published in a council's name is its
    lead's to say. The thing: an award, or an example offered from it."""
    award = getattr(thing, "award", thing)
    return is_lead_of(user, award.council_id)


def may_administer(user: Any, thing: Any) -> bool:
    """Administrators, whatever the thing: decide applications, revoke awards, publish
    editions, send again an email that could not be sent."""
    return is_administrator(user)


def may_hand_back(user: Any, assignment: Any) -> bool:
    """Only the assessor hands back their own assignment; not may_assess: one who has joined
    the council since may still hand it back."""
    return is_assessor(user) and assignment.assessor_id == user.id


def may_submit_assessment(user: Any, assessment: Any) -> bool:
    return may_assess(user, assessment.assignment)


# --- Applications: what the scheme's staff see -------------------------------------------------
# A draft is the council's own business: the staff see an application once it is submitted.
STAFF_SEE = tuple(state for state in ApplicationState if state != ApplicationState.DRAFT)


def staff_may_see(application: Any) -> bool:
    return application.state in STAFF_SEE


# --- Scores: who may see them ------------------------------------------------------------------
# Administrators see every score, note and feedback (the moderation record, the scores CSV).


def may_see_other_scores(user: Any, assignment: Any) -> bool:
    """Blind until submitted: an assessor sees the other assessors' scores only once they may
    assess the application and have submitted their own."""
    mine = assignment.assessment
    return (
        may_assess(user, assignment)
        and mine is not None
        and mine.state == AssessmentState.SUBMITTED
    )


def may_read_feedback(user: Any, application: Any) -> bool:
    """The assessors' feedback (never their private notes): the council's members once the
    application is decided, and administrators."""
    from marks.assessing import decisions  # which imports this module

    return decisions.decision_for(application) is not None and (
        is_administrator(user) or is_member_of(user, application.council_id)
    )


# --- Reasons: who may read why something happened ----------------------------------------------


def council_may_read(audience: ReasonAudience | None) -> bool:
    """Whether a reason with this audience may be shown or sent to the council's members: it
    is meant for them, or for everyone."""
    return audience in (ReasonAudience.PUBLIC, ReasonAudience.COUNCIL)


def may_read_reason(user: Any, event: Any) -> bool:
    """Whether the user may read an audit event's reason: the public's, anyone; the
    council's, its active members and the administrators; the record's, the administrators."""
    if event.reason_audience == ReasonAudience.PUBLIC:
        return True
    if not user.is_authenticated:
        return False
    if user.is_administrator:
        return True
    return (
        council_may_read(event.reason_audience)
        and event.council_id is not None
        and is_member_of(user, event.council_id)
    )


def load_application(application_id: int) -> Any:
    """The application in the URL, if the signed-in user is a member of its council.
    Anyone else gets a 404: an application of another council does not exist for them."""
    from marks.models import Application

    application = db.session.get(Application, application_id)
    if application is None or not is_member_of(current_user, application.council_id):
        abort(404)
    return application


def load_assignment(assignment_id: int) -> Any:
    """The assignment in the URL, if the signed-in assessor may assess it now."""
    from marks.models import Assignment

    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not may_assess(current_user, assignment):
        abort(404)
    return assignment


# --- Who may keep a response: caches ------------------------------------------------------------


def keep_private(response: Response) -> Response:
    """Every response is kept by no cache (`no-store`), unless its view has said that it is
    the same for everyone (`Cache-Control: public`: certificates, badges, the register's open
    data and its page for anonymous visitors), or it is one of the service's static files.

    Deciding by view rather than by who asks: a page for someone signed in is theirs alone,
    and so is every other page the service renders, to anonymous visitors too. The form on
    the sign-in, sign-up and reset pages carries the session's CSRF token, every page shows a
    flash message once and carries a CSP nonce of its own, and a copy kept by the browser
    outlives signing out. A response that sets the session's cookie is never public: a shared
    cache would hand the cookie to the next visitor."""
    if not session.modified and (response.cache_control.public or request.endpoint == "static"):
        return response
    response.headers["Cache-Control"] = "private, no-store"
    return response


def register(app: Flask) -> None:
    app.before_request(enforce)
    app.after_request(keep_private)
