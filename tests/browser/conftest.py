"""Browser tests: the real app served on a free local port, driven by headless Chromium.

The live server has its own database (a temporary SQLite file, or `<TEST_DATABASE_URL's
database>_browser` on PostgreSQL): the browser tests commit for real, so they never share the
rolled-back test database.

Every document a test loads must be checked: `page.visit(path)` and `page.submit(action)`
check the page they arrive at (axe, WCAG 2.2 A and AA), and a test that loads a page some
other way calls `page.check()`. Only a page of another site that a test loads on purpose (an
attacker's page) is left unchecked, and the test names it in `page.not_ours`: it is not ours
to make accessible. A test fails if any other loaded page was not checked, on any
console error or uncaught script error, and on any failed or erroring same-origin request
(a 404 stylesheet, a script blocked by the Content-Security-Policy).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Playwright,
    Request,
    Response,
    sync_playwright,
)
from playwright.sync_api import Page as PlaywrightPage
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from marks import create_app
from marks.extensions import close_connections, db, limiter
from marks.models import Email
from marks.people import two_factor, users
from marks.states import UserRole
from tests.conftest import app_config, reset_database, separate_database
from tests.pages import DEMO_PASSWORD, TEST_KEY, next_code

HERE = Path(__file__).resolve().parent

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium tries to reach the internet, which is closed here.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"],
    },
    "resultTypes": ["violations"],
}

# What the tests sign in as (seeded once for the session).
ADMIN_EMAIL = "ada.administrator@example.org"
ADMIN_NAME = "Ada Administrator"
USER_EMAIL = "una.user@darlington.gov.uk"
USER_NAME = "Una User"
OUTBOX_SUBJECT = "A message already in the outbox"
CODE_HEADING = "Enter the code from your authenticator app"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder drives a browser and is slow (before -m selects). They run
    after all the others: Playwright's sync API keeps an event loop running in the main
    thread until the run ends, and in its presence asyncio.run (pyHanko's signing and
    validation use it) refuses to start in any later test."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.path.is_relative_to(HERE))  # stable: each keeps its order


# ---------------------------------------------------------------------------
# The live server
# ---------------------------------------------------------------------------


@dataclass
class LiveServer:
    app: Flask
    url: str
    admin_email: str = ADMIN_EMAIL
    admin_name: str = ADMIN_NAME
    user_email: str = USER_EMAIL
    user_name: str = USER_NAME
    password: str = DEMO_PASSWORD

    def emails_to(self, address: str) -> list[Email]:
        """The outbox's emails to an address, oldest first (read in a fresh app context)."""
        with self.app.app_context():
            emails = db.session.scalars(
                sa.select(Email).where(Email.to_address == address).order_by(Email.id)
            ).all()
            db.session.expunge_all()
            return list(emails)

    def link_in(self, email: Email) -> str:
        """The path of the (first) link to this server in an email."""
        match = re.search(re.escape(self.url) + r"(/\S+)", email.body_text)
        assert match, f"no link to {self.url} in {email.body_text!r}"
        return match.group(1)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def _seed(app: Flask) -> None:
    with app.app_context():
        # The app's own demo data: councils of England and Wales, the demo edition and the
        # demo accounts.
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output + repr(result.exception)
        admin = users.create_user(
            ADMIN_EMAIL, ADMIN_NAME, DEMO_PASSWORD, role=UserRole.ADMINISTRATOR, confirmed=True
        )
        two_factor.enrol(admin, TEST_KEY, actor=None)
        users.create_user(USER_EMAIL, USER_NAME, DEMO_PASSWORD, confirmed=True)
        db.session.add(
            Email(
                to_address=USER_EMAIL,
                subject=OUTBOX_SUBJECT,
                body_text="Seeded for the browser tests.\n",
                template="seeded",
            )
        )
        db.session.commit()


@contextmanager
def serving(
    tmp_path_factory: pytest.TempPathFactory,
    suffix: str = "browser",
    seed: Callable[[Flask], None] = _seed,
) -> Iterator[LiveServer]:
    """The app served on a free local port with a database of its own, seeded by `seed`
    (which may also add to the app: it runs before the first request)."""
    database = separate_database(tmp_path_factory, suffix)
    try:
        app = create_app(
            app_config(
                database.url,
                # Plain HTTP on 127.0.0.1, whatever MARKS_ENV says.
                FORCE_HTTPS=False,
                SESSION_COOKIE_SECURE=False,
                REMEMBER_COOKIE_SECURE=False,
            )
        )
        reset_database(app)
        server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler
        )
        url = f"http://127.0.0.1:{server.server_port}"
        app.config["MARKS_BASE_URL"] = url  # links in emails point at the live server
        seed(app)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        try:
            yield LiveServer(app=app, url=url)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            with app.app_context():
                db.session.remove()
                close_connections()
    finally:
        database.drop()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(tmp_path_factory) as server:
        yield server


# ---------------------------------------------------------------------------
# The browser, and a page that checks everything it loads
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@dataclass
class _Load:
    url: str
    checked: bool = False


@dataclass
class CheckedPage:
    """A Playwright page (its methods pass through) that checks every document it loads."""

    page: PlaywrightPage
    base_url: str
    app: Flask | None = None  # the live server's: to make the codes of two-factor sign-in
    axe: Axe = field(default_factory=Axe)
    loads: list[_Load] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Documents a test asked for with an error status (a 404 page, say): not a problem.
    expected_errors: set[str] = field(default_factory=set)
    # Pages of another site that a test loads on purpose (an attacker's): never checked.
    not_ours: set[str] = field(default_factory=set)
    # The response that brought the document now shown (its HTML as served, before scripts).
    document: Response | None = None

    def __post_init__(self) -> None:
        self.page.on("load", lambda page: self.loads.append(_Load(page.url)))
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        self.page.on("requestfailed", self._on_request_failed)
        self.page.on("response", self._on_response)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.page, name)

    # --- the checks -------------------------------------------------------

    def _same_origin(self, url: str) -> bool:
        return url == self.base_url or url.startswith(self.base_url + "/")

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        source = message.location.get("url", "")
        if source in self.expected_errors and message.text.startswith("Failed to load resource"):
            return
        self.problems.append(f"console error on {self.page.url}: {message.text} ({source})")

    def _on_request_failed(self, request: Request) -> None:
        # The browser fetches the icon after the load event, and cancels it when the test
        # goes on to the next page first: not the server failing (a missing icon is a 404,
        # caught below).
        icon = urlsplit(request.url).path.endswith("/favicon.svg")  # with its ?v= fingerprint
        if icon and request.failure == "net::ERR_ABORTED":
            return
        if self._same_origin(request.url):
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _on_response(self, response: Response) -> None:
        request = response.request
        shown = not 300 <= response.status < 400  # a redirect is not what is shown
        if shown and request.is_navigation_request() and request.frame == self.page.main_frame:
            self.document = response
        if response.status < 400 or not self._same_origin(response.url):
            return
        if request.is_navigation_request() and response.url in self.expected_errors:
            return
        self.problems.append(f"{response.status} for {request.resource_type} {response.url}")

    def assert_no_problems(self) -> None:
        problems, self.problems = self.problems, []
        assert not problems, "the browser reported problems:\n" + "\n".join(problems)

    def check(self) -> None:
        """Check the page now shown: axe (WCAG 2.2 A and AA) finds nothing, and nothing has
        gone wrong in the browser. Marks the document as checked."""
        self.page.wait_for_load_state("load")
        assert self.loads, "no page has loaded"
        load = self.loads[-1]
        assert load.url == self.page.url, f"last load was {load.url}, page is {self.page.url}"
        results = self.axe.run(self.page, options=AXE_OPTIONS)
        violations = results.response["violations"]
        report = "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']}\n"
            + "\n".join(f"    {', '.join(map(str, node['target']))}" for node in v["nodes"])
            for v in violations
        )
        assert results.violations_count == 0, (
            f"axe found {results.violations_count} violation(s) on {self.page.url}:\n{report}"
        )
        self.assert_no_problems()
        load.checked = True

    # --- ways to load a page, each checking where it arrives -------------

    def visit(self, path: str, status: int = 200) -> Response:
        url = self.base_url + path
        if status >= 400:
            self.expected_errors.add(url)
        response = self.page.goto(url)
        assert response is not None, f"no response for {url}"
        assert response.status == status, f"{url}: {response.status}, expected {status}"
        self.check()
        return response

    def submit(self, action: Callable[[], Any]) -> None:
        """Do something that loads a new document (click a button or link, press Enter),
        wait for it to load, and check it."""
        with self.page.expect_event("load"):
            action()
        self.check()

    def enter_code(
        self, email: str, submit: Callable[[Callable[[], Any]], None] | None = None
    ) -> None:
        """On the code page after a right password (staff, and whoever turned it on): type the
        code the person's authenticator app shows now, made here from their key. Anywhere
        else, nothing."""
        if self.page.locator("h1").inner_text() != CODE_HEADING:
            return
        assert self.app is not None, "enter_code needs the live server's app"
        with self.app.app_context():
            code = next_code(email)
        self.page.get_by_label("Code", exact=True).fill(code)
        (submit or self.submit)(self.page.get_by_role("button", name="Continue").click)

    def unchecked(self) -> list[str]:
        # A page of this site is never exempt, whatever a test says.
        exempt = {url for url in self.not_ours if not self._same_origin(url)}
        return [load.url for load in self.loads if not load.checked and load.url not in exempt]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer
) -> Iterator[CheckedPage]:
    # The limiter is shared by every app in the run: start each test with clean counts.
    with live_server.app.app_context():
        limiter.reset()
    context = browser.new_context(base_url=live_server.url)
    try:
        checked = CheckedPage(context.new_page(), live_server.url, live_server.app)
        yield checked
        if request.node.stash.get(_CALL_FAILED, False):
            return  # the test's own failure says enough
        checked.page.wait_for_load_state("load")  # a page still loading counts too
        checked.assert_no_problems()
        unchecked = checked.unchecked()
        assert not unchecked, f"pages loaded but never checked with axe: {unchecked}"
    finally:
        context.close()
