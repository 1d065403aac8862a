"""Every page of every role, checked: axe (WCAG 2.2 A and AA, on arrival: see conftest.py),
reflow at 320 CSS pixels (WCAG 1.4.10: a 1280 pixel window at 400 % zoom), and its HTML as served
by the Nu HTML Checker (one run over every page, in the last test).

The pages come from app.url_map and the access matrix (tests/helpers/access.py): each kind of
person visits every GET route the matrix lets them see, with real objects from the demo data,
so a new route cannot be missed. Then the same pages in other states (applications in
every state, links with working tokens), every form sent empty (the error summary), the empty
states (on a database with nothing in it), the error pages, and the HTML emails.

The crawl runs on a server and database of its own: it adds people and objects that the journey
tests do not expect. That world is in crawl_world.py; the Crawl, which checks each page, is in
crawl.py; what is crawled, and the tests, are here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, expect
from werkzeug.exceptions import HTTPException

from marks.extensions import db
from marks.models import Council, Membership, SchemeSettings, User, utcnow
from marks.people import councils, users
from marks.seed.demo import PASSWORD
from marks.states import CouncilKind, MembershipRole, MembershipState, Nation, UserRole
from tests.browser.conftest import CheckedPage, LiveServer, serving
from tests.browser.crawl import Crawl, sign_in, sign_out
from tests.browser.crawl_world import (
    ERROR_ENDPOINTS,
    ERROR_ROUTES,
    PERSONAS,
    World,
    build_world,
    seed_world,
)
from tests.browser.seen import heading
from tests.helpers.access import MATRIX, OK
from tests.helpers.html_checker import ServedPages
from tests.pages import TEST_KEY

# GET routes whose answer is not an HTML page of the service: axe and reflow do not apply.
NOT_PAGES = {
    "council.submission_pdf": "a PDF of the council's submission: "
    "tests/integration/test_council_journey.py reads its text back",
    "public.healthz": "JSON for monitoring",
    "public.certificate": "a PDF, tagged (PDF/UA-1): tests/unit/test_certificates.py; the page "
    "for a revoked award's certificate is in test_error_pages",
    "public.badge": "an SVG image with role, title and desc: tests/unit/test_badges.py",
    "public.card": "a PNG image of an award for social media: tests/unit/test_kit_cards.py; "
    "shown with its alt text on the council's kit page (crawled)",
    "public.ob_issuer": "Open Badges JSON",
    "public.ob_badge_class": "Open Badges JSON",
    "public.ob_badge_class_image": "a PNG image",
    "public.ob_assertion": "Open Badges JSON",
    "public.ob_credential": "Open Badges 3.0 JSON: tests/integration/test_credentials.py",
    "public.ob_status_list": "a status list, JSON: tests/integration/test_credentials.py",
    "public.did_document": "a DID document, JSON: tests/integration/test_credentials.py",
    "register.register_csv": "CSV open data",
    "register.register_json": "JSON open data",
    "register.council_json": "JSON open data: tests/integration/test_data_for_machines.py",
    "public.verify_certificate_json": "JSON open data: tests/integration/test_data_for_machines.py",
    "public.openapi_description": "the OpenAPI description: tests/integration/test_openapi.py",
    "register.register_atom": "an Atom feed",
    "practice.feed": "an Atom feed: tests/integration/test_practice_library.py",
    "practice.evidence_file": "a file a council picked, served sandboxed as an attachment: "
    "tests/integration/test_practice_library.py",
    "admin.edition_scores_csv": "a CSV download",
    "admin.export_edition": "a TOML download",
    "admin.audit_csv": "a CSV download",
    "admin.person_data": "a JSON download, a person's data for a subject access request: "
    "tests/integration/test_personal_data.py, and downloaded in test_admin_journey",
    "council.evidence_file": "the council's own upload, served as an attachment",
    "admin.settings_image": "the issuer's logo or signature, an image served sandboxed: shown "
    "on the settings page (crawled), tests/integration/test_scheme_settings.py",
    "admin.email_html": "an email's HTML as sent, served sandboxed (no script runs, so no axe): "
    "test_html_emails checks it as a mail client shows it",
    "accounts.sign_out": "signs out, then shows the sign-in page (in the crawl)",
    "accounts.sign_in_code": "only between a right password and the code: crawled as staff sign "
    "in (crawl.sign_in)",
    "accounts.set_up_sign_in_code": "only between a right password and the code, for staff with "
    "none yet: crawled as test_empty_states' assessor signs in for the first time",
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
    "admin.unassign": "Unassign the assessor",
    "admin.revoke_award": "Revoke the Mark",
    "admin.add_council": "Add council",
    "admin.settings": "Save settings",
    "admin.edit_council": "Save changes",
    "admin.merge_council": "Continue",
    "admin.import_councils": "Check the file",
    "admin.clone_edition": "Clone the edition",
    "admin.edition_settings": "Save the settings",
    "admin.edition_criterion": "Save the criterion",
    "admin.edition_theme": "Save the theme",
    "admin.edition_levels": "Save the levels",
    "admin.edition_add_theme": "Add the theme",
    "admin.edition_add_criterion": "Add the criterion",
    "admin.import_edition": "Import the edition",
    "admin.invite_staff": "Send invitation",
    "admin.erase_person": "Erase their personal data",
    "admin.practice_review": "Return to the council",
    "accounts.set_up_two_factor": "Continue",
}
NOT_SENT_EMPTY = {
    "council.practice": "the matrix's council has no award (its lead is sent to the status "
    "page): sent empty in tests/browser/test_practice_journey.py",
    "council.practice_answer": "nothing in it is required: sent empty, it offers the answer "
    "(tests/browser/test_practice_journey.py); a note too long, test_practice_sharing.py",
    "accounts.sign_out": "one button, nothing to fill in: sent, it signs out (as the crawl does)",
    "council.withdraw": "nothing in it is required: sent empty, it withdraws the application",
    "council.accept_invitation": "one button, nothing to fill in: sent, it accepts",
    "accounts.accept_staff_invitation": "one button, nothing to fill in: sent, it accepts",
    "admin.publish_edition": "one button, nothing to fill in: sent, it publishes the edition",
    "admin.edition_remove_criterion": "one button, nothing to fill in: sent, it removes the "
    "criterion",
    "admin.edition_remove_theme": "the matrix's theme has criteria, so its page has no form; an "
    "empty theme's (crawl_world's extra pages) has one button: sent, it removes the theme",
    "accounts.sign_in_code": "only between a right password and the code: a wrong code's error "
    "summary is checked in test_accounts_journey, an empty one in test_two_factor",
    "accounts.set_up_sign_in_code": "only between a right password and the code: its form is "
    "the account's set-up form (accounts.set_up_two_factor), sent empty here",
}
# Forms whose fields may all be left empty (a draft is completed at submission): sent empty with
# one field that is wrong instead. endpoint -> (label, value)
WRONG_VALUES = {"council.about": ("Contact email address", "not an email address")}
# Forms found with a query (the council search that shows the form to join).
FORM_PAGES = {"council.join": "/apply/join?q=darl"}

# Pages answered with an error status, for what they show.
STATUS = {"/admin/audit?date_from=31%2F02%2F2026": 400}  # the filters' error summary


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """This module's own server (the `page` fixture uses it)."""
    with serving(tmp_path_factory, "every-page", seed=seed_world) as server:
        yield server


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> World:
    return build_world(live_server.app)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> ServedPages:
    """Every page the crawl checks, as served: the last test runs the Nu HTML Checker on them."""
    return ServedPages(tmp_path_factory.mktemp("served"))


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
def test_every_page_a_person_may_see(
    page: CheckedPage, live_server: LiveServer, world, role, served: ServedPages
):
    """Every page the matrix lets this person see, the same pages in other states, and every
    form they may send, sent empty."""
    crawl = Crawl(page, served)
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


def test_a_council_in_every_state(page: CheckedPage, world: World, served: ServedPages):
    """The council's pages with no application, and with one in each state: submitted, more
    information asked for, approved (certificate and badge), rejected, expired, revoked."""
    crawl = Crawl(page, served)
    for state, (lead, paths) in world.council_states.items():
        sign_in(crawl, lead)
        for path in paths:
            crawl.visit(path)
            if path == "/apply/" and state == "none":
                expect(page.get_by_role("button", name="Start your application")).to_be_visible()
        sign_out(crawl)
    crawl.assert_clean()


def test_error_pages(page: CheckedPage, live_server: LiveServer, world: World, served: ServedPages):
    """404, 404 for a page the person may not see, 400 for a broken link, 405, 410 for a revoked
    award's certificate, 400 for a form with a stale CSRF token, 403, 413, 429, 500, 503 (with
    what was typed kept) and 507."""
    crawl = Crawl(page, served)
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
    page.locator("main input[name=csrf_token]").evaluate("field => { field.value = 'stale' }")
    page.expected_errors.add(live_server.url + "/account/change-password")
    crawl.submit(
        "a form with a stale CSRF token",
        page.get_by_role("button", name="Change password").click,
    )
    expect(heading(page)).to_have_text("Your form could not be sent")
    crawl.assert_clean()


def test_html_emails(browser: Browser, live_server: LiveServer, world: World, served: ServedPages):
    """Each email with an HTML body, as a mail client shows it (without the preview's sandbox,
    which stops axe running)."""
    assert world.html_emails
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    try:
        crawl = Crawl(CheckedPage(context.new_page(), live_server.url, live_server.app), served)
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
        ("/", "No council holds the Mark at the moment."),
        ("/criteria", "The criteria for the next edition of the Mark are not published yet."),
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
        ("/admin/settings", "No logo yet."),
        ("/admin/applications", "No council has submitted an application yet."),
        ("/admin/applications?state=submitted", "No applications are submitted."),
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
                password_hash=users.hash_password(PASSWORD),
                role=role,
                email_confirmed_at=utcnow(),
            )
            if role == UserRole.ADMINISTRATOR:  # the assessor sets theirs up in the crawl
                user.two_factor_key, user.two_factor_enrolled_at = TEST_KEY, utcnow()
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
        db.session.execute(sa.delete(SchemeSettings))  # nothing named: a new server
        db.session.commit()


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(tmp_path_factory, "empty", seed=_seed_empty) as server:
        yield server


def test_empty_states(browser: Browser, empty_server: LiveServer, served: ServedPages):
    """Every list with nothing in it: no applications, awards, editions, emails or events, an
    empty register, an assessor with nothing assigned, a council with no application."""
    context = browser.new_context(base_url=empty_server.url)
    try:
        page = CheckedPage(context.new_page(), empty_server.url, empty_server.app)
        crawl = Crawl(page, served)
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


# ---------------------------------------------------------------------------
# The HTML of every page and email above, as served, through the Nu HTML Checker
# ---------------------------------------------------------------------------


def test_every_page_crawled_is_valid_html(served: ServedPages):
    """One run of the Nu HTML Checker over every page and HTML email the tests above checked
    (the JVM is slow to start), with a page that is invalid on purpose (html_checker.py)."""
    assert len(served.urls) >= 300, (
        f"the crawl saved {len(served.urls)} pages: run this test after the crawl's tests above"
    )
    errors = served.errors()
    more = f"\n... and {len(errors) - 40} more" if len(errors) > 40 else ""
    assert not errors, (
        f"{len(errors)} error(s) in {len(served.urls)} pages:\n" + "\n".join(errors[:40]) + more
    )
