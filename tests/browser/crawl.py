"""The Crawl: visits pages and checks each (axe on arrival and browser errors, see conftest.py;
reflow at 320 CSS pixels, WCAG 1.4.10; a link to the accessibility statement in the footer),
saves each page's HTML as served for the Nu HTML Checker (one run for the whole crawl, at its
end), sends forms empty for their error summary, and gathers every failure so that one run lists
them all; and signing in and out on the way. Used by test_every_page.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from playwright.sync_api import expect

from marks.people import two_factor
from marks.seed.demo import PASSWORD
from tests.browser.conftest import CheckedPage
from tests.browser.seen import error_summary, heading, navigation
from tests.helpers.html_checker import ServedPages

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
    served: ServedPages  # each page's HTML as served, for the Nu HTML Checker
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
        document = self.page.document
        if document is None or document.url != self.page.url:
            self.failures.append(f"{where}: no response for {self.page.url} to check its HTML")
        else:
            url = document.url if document.url.endswith(where) else f"{document.url} ({where})"
            self.served.save(url, document.body())
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
    if page.locator("h1").inner_text() == "Set up two-factor sign-in":  # staff with no key yet
        key = "".join(page.locator("#two-factor-key").inner_text().split())
        page.get_by_label("Code from your authenticator app").fill(two_factor.code_for(key))
        crawl.submit(f"set up a code: {email}", page.get_by_role("button", name="Continue").click)
        saved = page.get_by_role("button", name="I have saved my recovery codes")
        crawl.submit(f"recovery codes saved: {email}", saved.click)
    page.enter_code(email, lambda action: crawl.submit(f"code for {email}", action))
    expect(navigation(page).get_by_role("button", name="Sign out")).to_be_visible()


def sign_out(crawl: Crawl) -> None:
    crawl.submit("signed out", navigation(crawl.page).get_by_role("button", name="Sign out").click)
    expect(heading(crawl.page)).to_have_text("Sign in")
