"""Every page of every role, checked: axe (WCAG 2.2 A and AA, on arrival: see conftest.py) and
reflow at 320 CSS pixels (WCAG 1.4.10: a 1280 pixel window at 400 % zoom).

The pages come from app.url_map and the access matrix (tests/integration/test_access_matrix.py):
each kind of person visits every GET route the matrix lets them see, with real objects from the
demo data, so a new route cannot be missed. Then the same pages in other states (applications in
every state, links with working tokens), every form sent empty (the error summary), the empty
states (on a database with nothing in it), the error pages, and the HTML emails.

The crawl runs on a server and database of its own: it adds people and objects that the journey
tests do not expect.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from flask import Flask, abort
from playwright.sync_api import Browser, expect
from werkzeug.exceptions import HTTPException

from marks import applications, councils, editions, memberships, people, staff
from marks.demo import PASSWORD
from marks.evidence import CheckedFile
from marks.extensions import db, limiter
from marks.models import (
    Application,
    Assignment,
    Award,
    Council,
    Edition,
    Email,
    Membership,
    User,
    utcnow,
)
from marks.permissions import PUBLIC, access
from marks.states import (
    CouncilKind,
    EmailState,
    InvitationKind,
    MembershipRole,
    MembershipState,
    Nation,
    UserRole,
)
from tests.browser.conftest import USER_EMAIL, CheckedPage, LiveServer, _seed, serving
from tests.browser.seen import error_summary, heading, navigation
from tests.integration.test_access_matrix import MATRIX, OK

# The kinds of person, as the access matrix names them, and who plays them (demo accounts).
PERSONAS = {
    "anonymous": None,
    "council_member": "lead@darlington.gov.uk",  # Darlington's application is a draft
    "assigned_assessor": "assessor2@example.org",  # scoring Halton's, not yet submitted
    "administrator": "admin@example.org",
}

# The demo's councils (marks/demo.py), by the state their application is left in.
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

# GET routes whose answer is not an HTML page of the service: axe and reflow do not apply.
NOT_PAGES = {
    "public.healthz": "JSON for monitoring",
    "public.certificate": "a PDF, tagged (PDF/UA-1): tests/unit/test_certificates.py; the page "
    "for a revoked award's certificate is in test_error_pages",
    "public.badge": "an SVG image with role, title and desc: tests/unit/test_badges.py",
    "public.ob_issuer": "Open Badges JSON",
    "public.ob_badge_class": "Open Badges JSON",
    "public.ob_badge_class_image": "a PNG image",
    "public.ob_assertion": "Open Badges JSON",
    "register.register_csv": "CSV open data",
    "register.register_json": "JSON open data",
    "register.register_atom": "an Atom feed",
    "admin.edition_scores_csv": "a CSV download",
    "admin.export_edition": "a TOML download",
    "admin.audit_csv": "a CSV download",
    "council.evidence_file": "the council's own upload, served as an attachment",
    "admin.email_html": "an email's HTML as sent, served sandboxed (no script runs, so no axe): "
    "test_html_emails checks it as a mail client shows it",
    "accounts.sign_out": "signs out, then shows the sign-in page (in the crawl)",
}

# Every form sent empty shows the error summary: endpoint -> the button pressed.
EMPTY_FORMS = {
    "accounts.sign_up": "Create account",
    "accounts.sign_in": "Sign in",
    "accounts.forgotten_password": "Send reset link",
    "accounts.reset_password": "Save new password",
    "accounts.change_password": "Change password",
    "council.join": "Ask to join",
    "council.invite": "Send invitation",
    "council.about": "Save and continue",
    "council.criterion": "Save and continue",
    "council.check": "Submit application",
    "assess.score": "Submit your assessment",
    "assess.conflict": "Hand the application back",
    "admin.decide": "Preview the email to the council",
    "admin.revoke_award": "Revoke the Mark",
    "admin.add_council": "Add council",
    "admin.edit_council": "Save changes",
    "admin.merge_council": "Continue",
    "admin.import_councils": "Check the file",
    "admin.clone_edition": "Clone the edition",
    "admin.edition_settings": "Save the settings",
    "admin.edition_criterion": "Save the criterion",
    "admin.edition_theme": "Save the theme",
    "admin.edition_levels": "Save the levels",
    "admin.import_edition": "Import the edition",
    "admin.invite_staff": "Send invitation",
}
NOT_SENT_EMPTY = {
    "council.withdraw": "nothing in it is required: sent empty, it withdraws the application",
    "council.accept_invitation": "one button, nothing to fill in: sent, it accepts",
    "accounts.accept_staff_invitation": "one button, nothing to fill in: sent, it accepts",
    "admin.publish_edition": "one button, nothing to fill in: sent, it publishes the edition",
}
# Forms whose fields may all be left empty (a draft is completed at submission): sent empty with
# one field that is wrong instead. endpoint -> (label, value)
WRONG_VALUES = {"council.about": ("Contact email address", "not an email address")}
# Forms found with a query (the council search that shows the form to join).
FORM_PAGES = {"council.join": "/apply/join?q=darl"}

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


def _seed_world(app: Flask) -> None:
    _seed(app)
    _add_error_routes(app)
    with app.app_context():
        admin = people.find_user(PERSONAS["administrator"])
        lead = people.find_user(PERSONAS["council_member"])
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
        editions.clone(editions.find("2026"), "2027", 2027, actor=None)
        # Someone asking to join the draft's council; invitations; a reset link.
        memberships.ask_to_join(people.find_user(USER_EMAIL), draft.council)
        memberships.invite(draft.council, PERSONAS["assigned_assessor"], actor=lead)
        staff.invite(PERSONAS["council_member"], InvitationKind.ASSESSOR, actor=admin)
        people.send_password_reset(USER_EMAIL)
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
        db.session.commit()


def _build(app: Flask) -> World:
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
        lead = people.find_user(PERSONAS["council_member"])
        assessor = people.find_user(PERSONAS["assigned_assessor"])
        admin = people.find_user(PERSONAS["administrator"])
        answer = applications.answer_for(db.session.get(Application, apps["draft"]), "MD1")
        draft_edition = _one(sa.select(Edition).where(Edition.code == "2027"))
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
                for state in ("approved", "distinction", "rejected", "expired", "revoked")
            },
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
                f"/admin/outbox/{ids['html_email_id']}",
                f"/admin/editions/{draft_edition.id}",
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


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """This module's own server (the `page` fixture uses it)."""
    with serving(tmp_path_factory, "every-page", seed=_seed_world) as server:
        yield server


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> World:
    return _build(live_server.app)


# ---------------------------------------------------------------------------
# The checks: axe on arrival (conftest.py), then reflow at 320 pixels
# ---------------------------------------------------------------------------

DESKTOP = {"width": 1280, "height": 720}
NARROW = {"width": 320, "height": 640}

# What sticks out past the viewport at 320 pixels, outside any container that scrolls; and the
# containers that do scroll sideways (a wide table), which must take focus and have a name so
# that keyboard users can scroll them too.
REFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const insideScroller = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (scrolls(p)) return true;
    }
    return false;
  };
  const sticksOut = el => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > width + 1 && !insideScroller(el);
  };
  const all = [...document.body.querySelectorAll('*')];
  const out = all.filter(el => sticksOut(el) && ![...el.children].some(sticksOut));
  const overflowing = all.filter(el => el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1
    && !scrolls(el) && !insideScroller(el));
  const scrollers = all.filter(el => scrolls(el) && el.scrollWidth > el.clientWidth + 1);
  return {
    width,
    scrollWidth: document.documentElement.scrollWidth,
    out: out.slice(0, 5).map(
      el => name(el) + ' to ' + Math.round(el.getBoundingClientRect().right)),
    overflowing: overflowing.slice(-5).map(name),
    unreachable: scrollers.filter(el => el.tabIndex < 0
      || !(el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'))).map(name),
  };
}"""


def reflow_problems(page: CheckedPage) -> list[str]:
    """Why the page shown does not reflow at 320 pixels (nothing, if it does)."""
    page.set_viewport_size(NARROW)
    try:
        found = page.evaluate(REFLOW)
    finally:
        page.set_viewport_size(DESKTOP)
    problems = []
    if found["scrollWidth"] > found["width"] + 1:
        problems.append(
            f"scrolls sideways at {found['width']}px: {found['scrollWidth']}px wide; "
            f"sticking out: {found['out'] or found['overflowing']}"
        )
    if found["unreachable"]:
        problems.append(f"scrolling regions without focus or a name: {found['unreachable']}")
    return problems


@dataclass
class Crawl:
    """Visits pages and checks each (axe, browser errors, reflow), gathering every failure so
    that one run lists them all."""

    page: CheckedPage
    service_pages: bool = True  # pages of the service, with its footer (not emails)
    failures: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)

    def check_here(self, where: str) -> None:
        try:
            self.page.check()
        except AssertionError as error:
            self.failures.append(f"{where}: {error}")
            self.page.problems.clear()
        self.failures.extend(f"{where}: {problem}" for problem in reflow_problems(self.page))
        statement = self.page.locator("footer a[href='/accessibility']")
        if self.service_pages and statement.count() != 1:
            self.failures.append(f"{where}: no link to the accessibility statement in its footer")
        self.seen.append(where)

    def visit(self, path: str, status: int = 200) -> None:
        url = self.page.base_url + path
        if status >= 400:
            self.page.expected_errors.add(url)
        response = self.page.goto(url)
        if response is None or response.status != status:
            got = response.status if response else None
            self.failures.append(f"{path}: status {got}, expected {status}")
            self.page.problems.clear()
            self.page.loads[-1].checked = True
            return
        self.check_here(path)

    def submit(self, where: str, action: Callable[[], object]) -> None:
        with self.page.expect_event("load"):
            action()
        self.check_here(where)

    def send_empty(self, path: str, button: str, wrong: tuple[str, str] | None = None) -> None:
        """Send the form with this button with every field emptied (but the `wrong` one): the
        error summary."""
        self.visit(path)
        page = self.page
        pressed = page.get_by_role("button", name=button, exact=True)
        form = page.locator("main form[method=post]").filter(has=pressed)
        form.evaluate(EMPTY_THE_FORM)
        if wrong:
            form.get_by_label(wrong[0], exact=True).fill(wrong[1])
        submit = form.get_by_role("button", name=button, exact=True)
        # Some forms answer their errors with 400 (a bad request): it is the page to check.
        page.expected_errors.add(form.evaluate("form => form.action"))
        self.submit(f"{path} sent empty", submit.click)
        if not error_summary(page).is_visible():
            self.failures.append(f"{path} sent empty: no error summary ({page.title()})")
            return
        expect(page.page).to_have_title(re.compile(r"^Error: "))
        expect(error_summary(page).get_by_role("link").first).to_be_visible()

    def assert_clean(self) -> None:
        assert not self.failures, f"{len(self.failures)} problem(s), {len(self.seen)} pages:\n" + (
            "\n".join(self.failures)
        )


# Pages answered with an error status, for what they show.
STATUS = {"/admin/audit?date_from=31%2F02%2F2026": 400}  # the filters' error summary

EMPTY_THE_FORM = """form => {
  for (const field of form.elements) {
    if (['hidden', 'submit', 'button', 'file'].includes(field.type)) continue;
    if (field.type === 'checkbox' || field.type === 'radio') field.checked = false;
    else if (field.tagName === 'SELECT') {
      if ([...field.options].some(o => o.value === '')) field.value = '';
    } else field.value = '';
  }
}"""


def sign_in(crawl: Crawl, email: str) -> None:
    page = crawl.page
    crawl.visit("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    crawl.submit(f"signed in as {email}", page.get_by_role("button", name="Sign in").click)
    expect(navigation(page).get_by_role("link", name="Sign out")).to_be_visible()


def sign_out(crawl: Crawl) -> None:
    crawl.submit("signed out", navigation(crawl.page).get_by_role("link", name="Sign out").click)
    expect(heading(crawl.page)).to_have_text("Sign in")


def methods_of(app: Flask) -> dict[str, set[str]]:
    methods: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in ERROR_ENDPOINTS:
            methods.setdefault(rule.endpoint, set()).update(rule.methods or ())
    return methods


def pages_for(role: str, app: Flask, ids: dict[str, object]) -> list[str]:
    """The matrix's pages that this kind of person may see (status 200, HTML, GET)."""
    methods = methods_of(app)
    return [
        url.format(**ids)
        for endpoint, (url, expected) in MATRIX.items()
        if expected.get(role, OK) == OK and "GET" in methods[endpoint] and endpoint not in NOT_PAGES
    ]


def endpoint_of(app: Flask, path: str) -> str | None:
    """The endpoint that answers GET path (None: no route does)."""
    try:
        endpoint, _ = app.url_map.bind("localhost").match(path.split("?")[0], method="GET")
    except HTTPException:
        return None
    return endpoint


def empty_forms_for(role: str, app: Flask, world: World) -> list[tuple[str, str, str]]:
    """(endpoint, path, button) of the forms this person sends empty: each form by the first
    person in PERSONAS who may see it (or who holds the token that opens it)."""
    found = []
    tokens = {endpoint_of(app, path): who for who, path in world.token_paths.items()}
    for endpoint, button in EMPTY_FORMS.items():
        url, expected = MATRIX[endpoint]
        if endpoint in tokens:
            who, path = tokens[endpoint], world.token_paths[tokens[endpoint]]
        else:
            who = next(r for r in PERSONAS if expected.get(r, OK) == OK)
            path = FORM_PAGES.get(endpoint, url.format(**world.ids))
        if who == role:
            found.append((endpoint, path, button))
    return found


# ---------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------


def test_every_route_is_crawled_or_has_a_reason(live_server: LiveServer, world: World):
    """A route added to the app is in the matrix (test_access_matrix.py), and so crawled here
    for whoever may see it; a page is crawled, or said here why not; a form is sent empty, or
    said here why not."""
    app = live_server.app
    methods = methods_of(app)
    endpoints = set(methods) - {"static"}
    assert endpoints == MATRIX.keys(), "the access matrix is out of date"
    planned = [
        *(path for role in PERSONAS for path in pages_for(role, app, world.ids)),
        *(path for paths in world.extra.values() for path in paths),
        *world.token_paths.values(),
        *(path for _, paths in world.council_states.values() for path in paths),
        *(path for errors in world.errors.values() for path, _, _ in errors),
    ]
    crawled = {endpoint_of(app, path) for path in planned} - {None} - ERROR_ENDPOINTS
    pages = {e for e in endpoints if "GET" in methods[e]}
    assert pages - crawled - NOT_PAGES.keys() == set(), "pages not crawled"
    assert NOT_PAGES.keys() <= pages, "reasons for routes that do not exist"
    forms = {e for e in pages if "POST" in methods[e]}
    assert forms == EMPTY_FORMS.keys() | NOT_SENT_EMPTY.keys(), "forms not sent empty"
    sent = [form for role in PERSONAS for form in empty_forms_for(role, app, world)]
    assert len(sent) == len(EMPTY_FORMS)


@pytest.mark.parametrize("role", PERSONAS)
def test_every_page_a_person_may_see(page: CheckedPage, live_server: LiveServer, world, role):
    """Every page the matrix lets this person see, the same pages in other states, and every
    form they may send, sent empty."""
    crawl = Crawl(page)
    if PERSONAS[role]:
        sign_in(crawl, PERSONAS[role])
    paths = pages_for(role, live_server.app, world.ids)
    assert len(paths) >= {"anonymous": 10, "administrator": 40}.get(role, 15), paths
    for path in [*paths, *world.extra[role]]:
        crawl.visit(path, STATUS.get(path, 200))
    if role in world.token_paths:
        crawl.visit(world.token_paths[role])
    for endpoint, path, button in empty_forms_for(role, live_server.app, world):
        crawl.send_empty(path, button, WRONG_VALUES.get(endpoint))
    crawl.assert_clean()


def test_a_council_in_every_state(page: CheckedPage, world: World):
    """The council's pages with no application, and with one in each state: submitted, more
    information asked for, approved (certificate and badge), rejected, expired, revoked."""
    crawl = Crawl(page)
    for state, (lead, paths) in world.council_states.items():
        sign_in(crawl, lead)
        for path in paths:
            crawl.visit(path)
            if path == "/apply/" and state == "none":
                expect(page.get_by_role("button", name="Start your application")).to_be_visible()
        sign_out(crawl)
    crawl.assert_clean()


def test_error_pages(page: CheckedPage, live_server: LiveServer, world: World):
    """404, 404 for a page the person may not see, 400 for a broken link, 405, 410 for a revoked
    award's certificate, 400 for a form with a stale CSRF token, 403, 413, 429, 500, 503 (with
    what was typed kept) and 507."""
    crawl = Crawl(page)
    page.request.get(ERROR_ROUTES[429])  # the limit's one request: the next is refused
    for persona in ("anonymous", "council_member"):
        if PERSONAS[persona]:
            sign_in(crawl, PERSONAS[persona])
        for path, status, title in world.errors[persona]:
            crawl.visit(path, status)
            expect(heading(page)).to_have_text(title)
    # The database gone while a form was sent: what was typed is shown, to keep or send again.
    typed = "a long answer that the service could not save"
    crawl.visit("/forgotten-password")
    form = page.locator("main form[method=post]")
    form.evaluate(f"form => {{ form.action = '{ERROR_ROUTES[503]}' }}")
    page.get_by_label("Email address").fill(typed)
    page.expected_errors.add(live_server.url + ERROR_ROUTES[503])
    crawl.submit("a form sent with the database away", form.get_by_role("button").click)
    expect(heading(page)).to_have_text("Sorry, the service is unavailable")
    expect(page.get_by_label("Email")).to_have_value(typed)
    # A form whose CSRF token no longer matches the session's.
    crawl.visit("/account/change-password")
    page.locator("input[name=csrf_token]").evaluate("field => { field.value = 'stale' }")
    page.expected_errors.add(live_server.url + "/account/change-password")
    crawl.submit(
        "a form with a stale CSRF token",
        page.get_by_role("button", name="Change password").click,
    )
    expect(heading(page)).to_have_text("Your form could not be sent")
    crawl.assert_clean()


def test_html_emails(browser: Browser, live_server: LiveServer, world: World):
    """Each email with an HTML body, as a mail client shows it (without the preview's sandbox,
    which stops axe running)."""
    assert world.html_emails
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    try:
        crawl = Crawl(CheckedPage(context.new_page(), live_server.url))
        sign_in(crawl, PERSONAS["administrator"])
        crawl.service_pages = False
        # No icon in an email: the browser asks for /favicon.ico, which the service does not have.
        crawl.page.expected_errors.add(live_server.url + "/favicon.ico")
        for email_id in world.html_emails:
            crawl.visit(f"/admin/outbox/{email_id}/preview.html")
        crawl.assert_clean()
    finally:
        context.close()


# ---------------------------------------------------------------------------
# Empty states: a database with nothing in it but four people
# ---------------------------------------------------------------------------

EMPTY_PEOPLE = {
    "administrator": ("ed.empty@example.org", UserRole.ADMINISTRATOR),
    "assessor": ("nadia.nothing@example.org", UserRole.ASSESSOR),
    "council_member": ("lee.lonely@example.gov.uk", UserRole.USER),
}
EMPTY_COUNCIL = ("W06000099", "Emptyshire")

# persona -> (path, what it says when there is nothing to show)
EMPTY_PAGES = {
    "anonymous": [
        ("/", "Apply for the Mark"),
        ("/register", "No council holds it yet."),
        ("/register?q=no-such-council", "No council holds it yet."),
        ("/open-data", "The register is open data."),
    ],
    "council_member": [
        ("/apply/", "There is no edition of the criteria open for applications yet."),
        ("/apply/members", "Lead"),
    ],
    "assessor": [("/assess/", "You have no applications to assess.")],
    "administrator": [
        ("/admin/", "0 waiting."),
        ("/admin/applications", "No applications are submitted."),
        ("/admin/applications?state=approved", "No applications are approved."),
        ("/admin/awards", "No awards yet."),
        ("/admin/dashboard", "No data yet."),
        ("/admin/editions", "There are no editions yet."),
        ("/admin/councils?q=no-such-council", "No council matches."),
        ("/admin/people?q=no-such-person", "Nobody matches."),
        ("/admin/membership-requests", "There are no requests waiting."),
        ("/admin/outbox", "No emails yet."),
        ("/admin/audit?user=nobody%40example.org", "No event matches these filters."),
    ],
}


def _seed_empty(app: Flask) -> None:
    """Four people and a council, written directly: no audit event, no email."""
    with app.app_context():
        council = Council(
            gss_code=EMPTY_COUNCIL[0],
            name=EMPTY_COUNCIL[1],
            search_name=councils.search_name(EMPTY_COUNCIL[1]),
            kind=CouncilKind.UNITARY,
            nation=Nation.WALES,
        )
        for email, role in EMPTY_PEOPLE.values():
            user = User(
                email=email,
                full_name=email.split("@")[0].replace(".", " ").title(),
                password_hash=people.hash_password(PASSWORD),
                role=role,
                email_confirmed_at=utcnow(),
            )
            db.session.add(user)
            if role == UserRole.USER:
                db.session.add(
                    Membership(
                        user=user,
                        council=council,
                        role=MembershipRole.LEAD,
                        state=MembershipState.ACTIVE,
                    )
                )
        db.session.commit()


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(tmp_path_factory, "empty", seed=_seed_empty) as server:
        yield server


def test_empty_states(browser: Browser, empty_server: LiveServer):
    """Every list with nothing in it: no applications, awards, editions, emails or events, an
    empty register, an assessor with nothing assigned, a council with no application."""
    context = browser.new_context(base_url=empty_server.url)
    try:
        crawl = Crawl(CheckedPage(context.new_page(), empty_server.url))
        for persona, pages in EMPTY_PAGES.items():
            if persona != "anonymous":
                sign_in(crawl, EMPTY_PEOPLE[persona][0])
            for path, says in pages:
                crawl.visit(path)
                expect(crawl.page.locator("main")).to_contain_text(says)
            if persona != "anonymous":
                sign_out(crawl)
        crawl.assert_clean()
        assert crawl.page.unchecked() == []
    finally:
        context.close()
