"""What a person sees on a page, as Playwright locators shared by the browser tests."""

from __future__ import annotations

import re

from playwright.sync_api import Locator

from tests.browser.conftest import CheckedPage


def heading(page: CheckedPage) -> Locator:
    return page.locator("h1")


def navigation(page: CheckedPage) -> Locator:
    return page.get_by_role("navigation", name="Menu")


def banner(page: CheckedPage) -> Locator:
    return page.locator(".govuk-notification-banner")


def error_summary(page: CheckedPage) -> Locator:
    return page.locator(".govuk-error-summary")


def summary_value(scope: Locator | CheckedPage, key: str) -> Locator:
    """The value of a summary list's row, found by its key (on a page, or within a part)."""
    exactly = re.compile(rf"^\s*{re.escape(key)}\s*$")
    row = scope.locator(".govuk-summary-list__row").filter(
        has=scope.page.locator(".govuk-summary-list__key", has_text=exactly)
    )
    return row.locator(".govuk-summary-list__value")
