"""A form that reaches the app without a session, in a real browser: one posted by another
site's page carries nothing through sign-in; one of the app's own answer forms is carried,
shown and saved only when the person says so (issue 13: CSRF through the sign-in replay).

Every page of the app is checked with axe (WCAG 2.2 A and AA) and for browser errors: see
conftest.py. The attacker's page is not ours, and is named in `page.not_ours`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from marks.applying import applications
from marks.extensions import db
from marks.models import Application, Council, User
from marks.people import users
from marks.states import MembershipRole, UserRole
from tests.browser.conftest import CheckedPage, LiveServer
from tests.browser.seen import banner, heading, navigation, summary_value

ATTACKER_EMAIL = "mallory.attacker@example.com"
REPLAY_COUNCIL_GSS = "E06000014"  # York: no demo account or application
REPLAY_LEAD = "yan.york@york.gov.uk"


@pytest.fixture
def attack_site() -> Iterator[Callable[[str], str]]:
    """Another origin (a second local server, on another port): `publish(html)` serves the
    page at its root and answers its URL."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="attack-site", daemon=True)
    thread.start()

    def publish(html: str) -> str:
        pages["/"] = html.encode()
        return f"http://127.0.0.1:{server.server_port}/"

    try:
        yield publish
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def role_of(live_server: LiveServer, user_id: int) -> UserRole:
    with live_server.app.app_context():
        role = db.session.get(User, user_id).role
        db.session.remove()
        return role


def test_another_sites_page_cannot_make_its_author_an_administrator(
    page: CheckedPage, live_server: LiveServer, attack_site: Callable[[str], str]
):
    with live_server.app.app_context():
        attacker = users.find_user(ATTACKER_EMAIL) or users.create_user(
            ATTACKER_EMAIL, "Mallory Attacker", live_server.password, confirmed=True
        )
        db.session.commit()
        attacker_id = attacker.id
        db.session.remove()

    # The page posts itself as soon as it loads, as a page built to do so would.
    attack = attack_site(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>A prize</title>'
        '<link rel="icon" href="data:,"></head><body><h1>You have won a prize</h1>'
        f'<form method="post" action="{live_server.url}/admin/people/{attacker_id}/role">'
        '<input type="hidden" name="role" value="administrator"></form>'
        "<script>document.forms[0].submit()</script></body></html>"
    )
    page.not_ours.add(attack)
    # The administrator's browser has no session for the app (a fresh context).
    with page.expect_request(lambda request: request.method == "POST") as posted:
        page.goto(attack, wait_until="commit")
    page.wait_for_url(lambda url: url.startswith(live_server.url + "/"), wait_until="load")
    page.check()
    # Another port of the same host: the same site to Chromium, but not the same origin.
    sent = posted.value.all_headers()
    assert (sent["sec-fetch-site"], sent["origin"]) == ("same-site", attack.rstrip("/"))

    expect(heading(page)).to_have_text("Sign in")
    expect(page.locator("input[name^=replay-]")).to_have_count(0)  # nothing carried
    expect(banner(page)).to_contain_text("You were not signed in, so nothing was saved.")
    page.get_by_label("Email address").fill(live_server.admin_email)
    page.get_by_label("Password", exact=True).fill(live_server.password)
    page.submit(page.get_by_role("button", name="Sign in").click)
    page.enter_code(live_server.admin_email)

    expect(navigation(page).get_by_role("button", name="Sign out")).to_be_visible()
    expect(heading(page)).not_to_have_text("Save your answers")
    expect(page.get_by_role("button", name="Save your answers")).to_have_count(0)
    assert role_of(live_server, attacker_id) == UserRole.USER


@pytest.fixture
def replay_application(live_server: LiveServer) -> int:
    """A lead of a council with a draft application of its own (not the demo's)."""
    with live_server.app.app_context():
        lead = users.find_user(REPLAY_LEAD)
        if lead is None:
            council = db.session.scalar(
                sa.select(Council).where(Council.gss_code == REPLAY_COUNCIL_GSS)
            )
            lead = users.create_user(REPLAY_LEAD, "Yan York", live_server.password, confirmed=True)
            users.add_to_council(lead, council, MembershipRole.LEAD, actor=None)
            applications.start(council, actor=lead)
            db.session.commit()
        application_id = applications.open_application(lead.membership.council).id
        db.session.remove()
    return application_id


def narrative_of(live_server: LiveServer, application_id: int, code: str) -> str:
    with live_server.app.app_context():
        application = db.session.get(Application, application_id)
        narrative = applications.answer_for(application, code).narrative
        db.session.remove()
        return narrative


def test_an_answer_typed_as_the_session_ended_is_shown_then_saved(
    page: CheckedPage, live_server: LiveServer, replay_application: int
):
    page.visit("/sign-in")
    page.get_by_label("Email address").fill(REPLAY_LEAD)
    page.get_by_label("Password", exact=True).fill(live_server.password)
    page.submit(page.get_by_role("button", name="Sign in").click)
    path = f"/apply/applications/{replay_application}/criteria/MD1"
    page.visit(path)

    typed = "Our staff may use social media at work.\nWe train every new starter."
    page.get_by_label("Describe what your council does").fill(typed)
    page.context.clear_cookies()  # the session ends while the form is open
    page.submit(page.get_by_role("button", name="Save as draft").click)

    expect(heading(page)).to_have_text("Sign in")
    expect(page.locator("main")).to_contain_text("your answers have not been saved yet")
    page.get_by_label("Email address").fill(REPLAY_LEAD)
    page.get_by_label("Password", exact=True).fill(live_server.password)
    page.submit(page.get_by_role("button", name="Sign in").click)

    expect(heading(page)).to_have_text("Save your answers")
    expect(summary_value(page, "Narrative")).to_have_text(typed)
    expect(page.get_by_role("link", name="Do not save")).to_have_attribute("href", path)
    assert narrative_of(live_server, replay_application, "MD1") == ""
    page.submit(page.get_by_role("button", name="Save your answers").click)

    expect(banner(page)).to_contain_text("Your answer has been saved as a draft.")
    assert narrative_of(live_server, replay_application, "MD1") == typed.replace("\n", "\r\n")
