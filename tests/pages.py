"""A test client that checks every HTML page it fetches (after notifications-admin):
one <h1>, a <title> that starts with it, no duplicate ids, and forms with an action and,
when they post, a CSRF token. It fills forms in as a person would: it reads the page first."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bs4 import BeautifulSoup
from flask import Flask
from werkzeug.test import TestResponse

from marks.extensions import db
from marks.people import two_factor, users

DEMO_PASSWORD = "correct horse battery"
# The two-factor key of the factories' staff (tests/factories.py): the tests make its codes.
TEST_KEY = "TESTSTAFFKEYTESTSTAFFKEYTESTSTAF"
CODE_PAGE = "/sign-in/code"
SET_UP_PAGE = "/sign-in/set-up-code"


def next_code(email: str) -> str:
    """The code a person's authenticator app would give them now (in an app context). A code
    works once, and the app accepts the next step's a little early: after that a person would
    wait for the next code; a test that signs someone in a third time within 30 seconds
    forgets the last step used instead."""
    user = users.find_user(email)
    assert user is not None and user.two_factor_key, f"{email} has no two-factor key"
    now = int(time.time() // two_factor.STEP)
    step = now if user.two_factor_last_step is None else max(now, user.two_factor_last_step + 1)
    if step > now + two_factor.WINDOW:
        # Every code of the window used: forget them (as if the person had waited).
        user.two_factor_last_step = now - two_factor.WINDOW - 1
        step = now
        db.session.commit()
    return two_factor.code_for(user.two_factor_key, step * two_factor.STEP)


def key_on(page: BeautifulSoup) -> str:
    """The key the set-up page shows, as a person would type it into their app."""
    return "".join(page.select_one("#two-factor-key").get_text().split())


@dataclass
class Page:
    response: TestResponse
    soup: BeautifulSoup

    @property
    def status(self) -> int:
        return self.response.status_code

    status_code = status

    @property
    def headers(self):
        return self.response.headers

    @property
    def h1(self) -> str:
        # Whitespace collapsed, as a browser shows it (and as the title is compared).
        return " ".join(self.soup.h1.get_text(" ").split())

    @property
    def text(self) -> str:
        return " ".join(self.soup.get_text(" ").split())

    def error_summary(self) -> list[str]:
        summary = self.soup.select_one(".govuk-error-summary")
        return [a.get_text(strip=True) for a in summary.select("a")] if summary else []

    def field_value(self, name: str) -> str | None:
        field = self.soup.find(attrs={"name": name})
        if field is None:
            return None
        return field.get_text() if field.name == "textarea" else field.get("value")


def form_fields(page: Page, action: str) -> dict:
    """What the form with this action sends as it is shown: every named field but the buttons,
    and the radios and checkboxes that are checked."""
    form = page.soup.find("form", action=action)
    fields = {}
    for tag in form.find_all(["input", "textarea"]):
        name = tag.get("name")
        if not name or tag.get("type") in ("submit", "radio", "checkbox"):
            continue
        fields[name] = tag.get_text() if tag.name == "textarea" else tag.get("value", "")
    for tag in form.find_all("input", attrs={"type": ["radio", "checkbox"], "checked": True}):
        fields[tag["name"]] = tag["value"]
    return fields


def check_page(response: TestResponse) -> Page:
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    page = Page(response, soup)
    h1s = soup.find_all("h1")
    assert len(h1s) == 1, f"expected one <h1>, found {len(h1s)}"
    title = " ".join(soup.title.get_text().split())
    heading = page.h1
    assert title.removeprefix("Error: ").startswith(heading), f"title {title!r} vs h1 {heading!r}"
    ids = Counter(tag["id"] for tag in soup.find_all(attrs={"id": True}))
    duplicates = [i for i, n in ids.items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"
    for form in soup.find_all("form"):
        assert form.get("action"), "a form has no action"
        if form.get("method", "get").lower() == "post":
            assert form.find("input", attrs={"name": "csrf_token"}), "a form has no CSRF token"
    return page


class PageClient:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.http = app.test_client()

    def request(self, method: str, url: str, **kwargs: Any) -> TestResponse:
        """One request in an app context of its own, as in production: nothing (g, the
        signed-in user, the session's identity map) carries over from the test or the last
        request. The test's own objects are expired so that they show what was saved."""
        with self.app.app_context():
            response = self.http.open(url, method=method, **kwargs)
        db.session.expire_all()
        return response

    def get(self, url: str, **kwargs: Any) -> Page | TestResponse:
        return self._wrap(self.request("GET", url, **kwargs))

    def post(self, url: str, **kwargs: Any) -> Page | TestResponse:
        return self._wrap(self.request("POST", url, **kwargs))

    def submit(self, url: str, data: dict[str, Any], *, form: int = 0) -> Page | TestResponse:
        """Open the page, fill in its form (keeping its hidden fields), and send it."""
        page = self.get(url)
        assert isinstance(page, Page), f"{url} is not a page"
        form_tag = page.soup.find_all("form")[form]
        fields = {
            tag["name"]: tag.get("value", "")
            for tag in form_tag.find_all("input", attrs={"type": "hidden"})
        }
        fields.update(data)
        return self.post(form_tag["action"], data=fields)

    def csrf_token(self) -> str:
        """This session's CSRF token, read from a form as a browser would have it."""
        page = self.get("/sign-in")
        return page.soup.find("input", attrs={"name": "csrf_token"})["value"]

    def sign_in(self, email: str, password: str = DEMO_PASSWORD) -> Page | TestResponse:
        """Sign in through the pages: the password, then, for staff and anyone who has turned
        it on, a code from their key (or, for staff without one, set one up)."""
        response = self.submit("/sign-in", {"email": email, "password": password})
        assert getattr(response, "status_code", None) == 302, "sign-in failed"
        location = response.headers["Location"]
        if location.startswith(CODE_PAGE):
            with self.app.app_context():
                code = next_code(email)
            response = self.submit(location, {"code": code})
            assert getattr(response, "status_code", None) == 302, "the code was refused"
        elif location.startswith(SET_UP_PAGE):
            page = self.get(location)
            code = two_factor.code_for(key_on(page.soup))
            response = self.submit(location, {"code": code})
            assert response.h1 == "Save your recovery codes", "setting up a code failed"
        return response

    def sign_out(self) -> TestResponse:
        """Press "Sign out" (a POST with the page's CSRF token)."""
        response = self.submit("/sign-out", {})
        assert getattr(response, "status_code", None) == 302, "sign-out failed"
        return response

    def _wrap(self, response: TestResponse) -> Page | TestResponse:
        if response.mimetype == "text/html" and not 300 <= response.status_code < 400:
            return check_page(response)
        return response


def signed_in(app: Flask, user: Any) -> PageClient:
    """A client of its own, signed in as the user (their password, then their code if any)."""
    client = PageClient(app)
    client.sign_in(user.email, DEMO_PASSWORD)
    return client
