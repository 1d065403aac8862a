"""The world that test_every_page.py crawls: the demo data (marks/seed/demo.py) and a little more
(an evidence file, a draft edition with an empty theme, invitations, a reset link, emails sent
and failed, routes that fail on purpose), on a server and database of its own; and where in it
each kind of person goes: the access matrix's placeholders as real ids, links with working
tokens, pages in other states, a council in every state, the error pages and the HTML emails.

It changes with the demo data and with the pages there are to see; what is checked on each page
is in crawl.py.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask, abort

from marks.applying import applications, memberships
from marks.applying.evidence import CheckedFile
from marks.awarding.certificates import Image
from marks.extensions import db, limiter
from marks.models import (
    Application,
    Assignment,
    Award,
    Council,
    Edition,
    Email,
    Membership,
    PracticeExample,
    User,
    practice_example_files,
    utcnow,
)
from marks.people import staff, users
from marks.permissions import PUBLIC, access
from marks.practice import examples
from marks.scheme import edition_drafts, editions, issuer
from marks.states import EmailState, InvitationKind, MembershipRole, PracticeState
from tests.browser.conftest import USER_EMAIL, _seed
from tests.helpers.issuer import WIDE_LOGO_SVG, png
from tests.pages import DEMO_PASSWORD

# The kinds of person, as the access matrix names them, and who plays them (demo accounts).
PERSONAS = {
    "anonymous": None,
    "council_member": "lead@darlington.gov.uk",  # Darlington's application is a draft
    "assigned_assessor": "assessor2@example.org",  # scoring Halton's, not yet submitted
    "administrator": "admin@example.org",
}

# The code of a theme added to the draft edition with no criteria.
EMPTY_THEME = "impact"

# The demo's councils (marks/seed/demo.py), by the state their application is left in.
DEMO = {
    "none": "E06000001",
    "draft": "E06000005",
    "submitted": "E06000004",
    "info_requested": "E06000003",
    "under_review": "E06000006",
    "ready_for_decision": "E06000007",
    "approved": "E06000008",
    "rejected": "E06000009",
    "distinction": "E06000011",
    "expired": "E06000012",
    "revoked": "E06000013",
}

# A council with no members in the demo, and someone who asks to be its first (crawl_world).
EMPTY_COUNCIL = "W06000002"
FIRST_EMAIL = "fay.first@example.net"

# Test-only routes on this server, for error pages that no real route shows on demand: a view
# with no access rule (403), a request too large (413), a rate limit (429), a fault (500), the
# database away (503) or full (507).
ERROR_ROUTES = {code: f"/_crawl/{code}" for code in (403, 413, 429, 500, 503, 507)}
ERROR_ENDPOINTS = {f"crawl_{code}" for code in ERROR_ROUTES}


# ---------------------------------------------------------------------------
# The world: the demo data, and a little more
# ---------------------------------------------------------------------------


@dataclass
class World:
    ids: dict[str, object]  # the access matrix's placeholders, for real objects here
    token_paths: dict[str, str]  # persona -> a link with a working token, from the outbox
    extra: dict[str, list[str]]  # persona -> pages in other states
    council_states: dict[str, tuple[str, list[str]]]  # state -> (its lead, the pages to see)
    errors: dict[str, list[tuple[str, int, str]]]  # persona -> (path, status, heading)
    html_emails: list[int] = field(default_factory=list)  # one email with HTML per template


def _one(statement):
    found = db.session.scalar(statement)
    assert found is not None, str(statement)
    return found


def _application_of(gss_code: str) -> Application:
    return _one(sa.select(Application).join(Council).where(Council.gss_code == gss_code))


def _assignment(assessor: User, application_id: int) -> int:
    return _one(
        sa.select(Assignment.id).where(
            Assignment.assessor_id == assessor.id, Assignment.application_id == application_id
        )
    )


def _add_error_routes(app: Flask) -> None:
    """Routes that fail on purpose, for the app's own error handlers to answer."""

    def forbidden():
        return "never served: no access rule"

    @access(PUBLIC)
    def fail(code: int):
        if code == 500:
            raise RuntimeError("a fault, on purpose")
        if code in (503, 507):
            cause = sqlite3.OperationalError("database or disk is full" if code == 507 else "gone")
            cause.sqlite_errorcode = sqlite3.SQLITE_FULL if code == 507 else sqlite3.SQLITE_IOERR
            raise sa.exc.OperationalError("SELECT 1", {}, cause)
        abort(code)

    @access(PUBLIC)
    @limiter.limit("1 per day")
    def limited():
        return "", 204

    app.add_url_rule(ERROR_ROUTES[403], "crawl_403", forbidden)
    app.add_url_rule(ERROR_ROUTES[429], "crawl_429", limited)
    for code in (413, 500, 503, 507):
        app.add_url_rule(
            ERROR_ROUTES[code],
            f"crawl_{code}",
            fail,
            defaults={"code": code},
            methods=["GET", "POST"],
        )
    # Show the 500 page rather than hand the exception to the server (TESTING propagates it).
    app.config["PROPAGATE_EXCEPTIONS"] = False


def seed_world(app: Flask) -> None:
    _seed(app)
    _add_error_routes(app)
    with app.app_context():
        admin = users.find_user(PERSONAS["administrator"])
        lead = users.find_user(PERSONAS["council_member"])
        # An evidence file on the draft; a draft edition.
        draft = _application_of(DEMO["draft"])
        answer = applications.answer_for(draft, "MD1")
        applications.save_answer(
            answer,
            version=answer.version,
            actor=lead,
            self_score=answer.self_score,
            narrative=answer.narrative,
            links=[link.url for link in answer.links],
            new_file=CheckedFile("policy.pdf", "application/pdf", 9, "0" * 64, b"%PDF-1.4 "),
        )
        draft_edition = editions.clone(editions.find("2026"), "2027", 2027, actor=None)
        # The issuer's pictures: the settings page shows their previews (a logo as wide as
        # many are, which must still fit a phone's screen).
        issuer.update(
            actor=admin,
            logo=Image("image/svg+xml", WIDE_LOGO_SVG),
            signature=Image("image/png", png(120, 40)),
        )
        edition_drafts.add_theme(
            draft_edition, actor=admin, code=EMPTY_THEME, title="Measuring impact"
        )
        # Someone asking to join the draft's council, and someone asking to be the first of a
        # council with no members (an administrator answers); invitations; a reset link.
        memberships.ask_to_join(users.find_user(USER_EMAIL), draft.council)
        first = users.create_user(FIRST_EMAIL, "Fay First", DEMO_PASSWORD, confirmed=True)
        memberships.ask_to_join(
            first, _one(sa.select(Council).where(Council.gss_code == EMPTY_COUNCIL))
        )
        memberships.invite(draft.council, PERSONAS["assigned_assessor"], actor=lead)
        staff.invite(PERSONAS["council_member"], InvitationKind.ASSESSOR, actor=admin)
        users.send_password_reset(USER_EMAIL)
        # Emails sent and failed, as well as queued.
        for state, extra in [
            (EmailState.FAILED, {"attempts": 5, "last_error": "550 mailbox unavailable"}),
            (EmailState.SENT, {"attempts": 1, "sent_at": utcnow()}),
        ]:
            db.session.add(
                Email(
                    to_address=lead.email,
                    subject=f"A message {state}",
                    body_text=f"This one was {state}.\n",
                    template="seeded",
                    state=state,
                    **extra,
                )
            )
        # The approved council's lead offers an answer the demo has not shared to the library.
        approved = _application_of(DEMO["approved"])
        award = _one(sa.select(Award).where(Award.application_id == approved.id))
        shared = examples.examples_of(award)
        examples.offer(
            award,
            [a for a in applications.ordered_answers(approved) if a.criterion_id not in shared][:1],
            actor=_one(
                sa.select(User)
                .join(Membership, Membership.user_id == User.id)
                .where(
                    Membership.council_id == approved.council_id,
                    Membership.role == MembershipRole.LEAD,
                )
            ),
            note="We would train the councillors first.",
        )
        db.session.commit()


def build_world(app: Flask) -> World:
    """The ids and paths of the seeded world."""
    with app.app_context():
        base = re.escape(app.config["MARKS_BASE_URL"])

        def emailed(address: str, template: str) -> str:
            email = _one(
                sa.select(Email)
                .where(Email.to_address == address, Email.template == template)
                .order_by(Email.id.desc())
            )
            return re.search(base + r"(/\S+)", email.body_text).group(1)

        apps = {state: _application_of(gss).id for state, gss in DEMO.items() if state != "none"}
        numbers = {
            state: _one(
                sa.select(Award.certificate_number).where(Award.application_id == apps[state])
            )
            for state in ("approved", "expired", "revoked")
        }
        lead = users.find_user(PERSONAS["council_member"])
        assessor = users.find_user(PERSONAS["assigned_assessor"])
        admin = users.find_user(PERSONAS["administrator"])
        answer = applications.answer_for(db.session.get(Application, apps["draft"]), "MD1")
        draft_edition = _one(sa.select(Edition).where(Edition.code == "2027"))
        empty_theme = next(t for t in draft_edition.themes if t.code == EMPTY_THEME)
        emails = {
            state: _one(sa.select(Email.id).where(Email.state == state).order_by(Email.id))
            for state in (EmailState.FAILED, EmailState.SENT)
        }
        ids = {
            "application_id": apps["draft"],
            "submitted_id": apps["under_review"],  # submitted, with an assessor assigned
            "assignment_id": _assignment(assessor, apps["under_review"]),
            "edition_id": editions.find("2026").id,
            "number": numbers["approved"],
            "user_id": lead.id,
            "draft_edition_id": draft_edition.id,
            "draft_criterion_id": draft_edition.criteria[0].id,
            "draft_theme_id": draft_edition.themes[0].id,
            "html_email_id": _one(sa.select(Email.id).where(Email.body_html.is_not(None))),
            "gss_code": DEMO["approved"],
            "file_id": answer.files[0].id,
            "membership_id": lead.membership.id,
            "email_id": emails[EmailState.FAILED],
            # The demo's published example with a file its council picked.
            **dict(
                zip(
                    ("example_id", "practice_file_id"),
                    db.session.execute(
                        sa.select(
                            practice_example_files.c.example_id,
                            practice_example_files.c.evidence_file_id,
                        )
                        .join(
                            PracticeExample,
                            PracticeExample.id == practice_example_files.c.example_id,
                        )
                        .where(PracticeExample.state == PracticeState.PUBLISHED)
                    ).one(),
                    strict=True,
                )
            ),
        }
        reopened = db.session.get(Application, apps["info_requested"])
        reopened_code = applications.ordered_answers(reopened)[1].criterion.code

        def lead_of(state: str) -> str:
            return _one(
                sa.select(User.email)
                .join(Membership, Membership.user_id == User.id)
                .join(Council)
                .where(Council.gss_code == DEMO[state], Membership.role == MembershipRole.LEAD)
            )

        def status(state: str) -> str:
            return f"/apply/applications/{apps[state]}/status"

        council_states = {
            "none": (lead_of("none"), ["/apply/"]),
            "submitted": (
                lead_of("submitted"),
                [
                    "/apply/",
                    status("submitted"),
                    f"/apply/applications/{apps['submitted']}/submitted",
                    f"/apply/applications/{apps['submitted']}/submission",
                ],
            ),
            "info_requested": (
                lead_of("info_requested"),
                [
                    "/apply/",
                    status("info_requested"),
                    f"/apply/applications/{apps['info_requested']}",
                    f"/apply/applications/{apps['info_requested']}/criteria/{reopened_code}",
                    f"/apply/applications/{apps['info_requested']}/check",
                ],
            ),
            **{
                state: (lead_of(state), ["/apply/", status(state)])
                for state in ("distinction", "rejected", "expired", "revoked")
            },
            # Its kit, and its answers shared with the library of good practice: one offered.
            "approved": (
                lead_of("approved"),
                [
                    "/apply/",
                    status("approved"),
                    f"/apply/awards/{numbers['approved']}/kit",
                    f"/apply/applications/{apps['approved']}/practice",
                    *(
                        f"/apply/applications/{apps['approved']}/practice/{a.criterion.code}"
                        for a in applications.ordered_answers(
                            db.session.get(Application, apps["approved"])
                        )[:2]
                    ),
                ],
            ),
        }
        extra = {
            "anonymous": [
                "/privacy",
                "/cookies",
                "/register?status=revoked",
                "/register?q=hull",
                "/register?q=no-such-council",  # empty: nothing found
                "/verify?number=",
                f"/verify/{numbers['expired']}",
                f"/verify/{numbers['revoked']}",
                f"/councils/{DEMO['revoked']}",
                f"/councils/{DEMO['none']}",
            ],
            "council_member": [],
            "assigned_assessor": [
                "/apply/join?q=darl",
                "/apply/join?q=no-such-council",  # empty: nothing found
                *(
                    f"/assess/{_assignment(assessor, apps[state])}"
                    for state in ("ready_for_decision", "approved")  # submitted, decided
                ),
            ],
            "administrator": [
                *(f"/admin/applications/{i}" for state, i in apps.items() if state != "draft"),
                *(
                    f"/admin/applications?state={state}"
                    for state in (
                        "under_review",
                        "info_requested",
                        "ready_for_decision",
                        "approved",
                        "rejected",
                        "withdrawn",  # empty: none withdrawn
                    )
                ),
                "/admin/applications?q=hal",
                "/admin/applications?q=no-such-council",  # empty: nothing found
                f"/admin/applications/{apps['ready_for_decision']}/decision",
                f"/admin/applications/{apps['under_review']}/decision",
                f"/admin/people/{assessor.id}",
                f"/admin/people/{admin.id}",
                "/admin/people?role=assessor",
                "/admin/people?q=no-such-person",  # empty
                f"/admin/councils/{DEMO['revoked']}",
                f"/admin/councils/{DEMO['none']}",
                "/admin/councils?q=mid",
                f"/admin/outbox/{emails[EmailState.SENT]}",
                "/admin/practice?state=offered",
                "/admin/practice?state=published",  # empty: none published
                f"/admin/outbox/{ids['html_email_id']}",
                f"/admin/editions/{draft_edition.id}",
                # The matrix's theme has criteria; this one has none, so it can be removed.
                f"/admin/editions/{draft_edition.id}/themes/{empty_theme.id}/remove",
                "/admin/audit?user=nobody%40example.org",  # empty: no event matches
                "/admin/audit?date_from=31%2F02%2F2026",  # error: no such date
            ],
        }
        errors = {
            "anonymous": [
                ("/no-such-page", 404, "Page not found"),
                ("/verify/SMFM-2026-99999", 404, "This is not a valid certificate number"),
                (
                    f"/certificates/{numbers['revoked']}.pdf",
                    410,
                    "This certificate has been revoked",
                ),
                ("/confirm-email/not-a-token", 400, "This link does not work"),
                ("/reset-password/not-a-token", 400, "This link does not work"),
                ("/apply/start", 405, "Sorry, there is a problem with your request"),
                (ERROR_ROUTES[403], 403, "You do not have permission to see this page"),
                (ERROR_ROUTES[413], 413, "The file or form you sent is too large"),
                (ERROR_ROUTES[429], 429, "Too many attempts"),  # its second request
                (ERROR_ROUTES[500], 500, "Sorry, there is a problem with the service"),
                (ERROR_ROUTES[503], 503, "Sorry, the service is unavailable"),
                (ERROR_ROUTES[507], 507, "Sorry, we could not save your changes"),
            ],
            "council_member": [
                ("/admin/", 404, "Page not found"),
                (status("submitted"), 404, "Page not found"),  # another council's
                ("/apply/invitations/not-a-token", 400, "You cannot use this invitation"),
                ("/account/invitations/not-a-token", 400, "You cannot use this invitation"),
            ],
        }
        html_emails = list(
            db.session.scalars(
                sa.select(sa.func.min(Email.id))
                .where(Email.body_html.is_not(None))
                .group_by(Email.template)
            )
        )
        world = World(
            ids=ids,
            token_paths={
                "anonymous": emailed(USER_EMAIL, "reset_password"),
                "council_member": emailed(lead.email, "staff_invitation"),
                "assigned_assessor": emailed(assessor.email, "council_invitation"),
            },
            extra=extra,
            council_states=council_states,
            errors=errors,
            html_emails=html_emails,
        )
        db.session.remove()
    return world
