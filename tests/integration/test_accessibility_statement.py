"""The accessibility statement: public, in the structure of GOV.UK's model statement, honest
about what is not accessible and how the service was tested, and linked from every page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.helpers.issuer import TEST_ISSUER

# The model statement's sections, in its order.
SECTIONS = [
    "How accessible this service is",
    "Feedback and contact information",
    "Reporting accessibility problems with this service",
    "Enforcement procedure",
    "Technical information about this service’s accessibility",
    "Compliance status",
    "Non-accessible content",
    "Non-compliance with the accessibility regulations",
    "Content that’s not within the scope of the accessibility regulations",
    "What we’re doing to improve accessibility",
    "Preparation of this accessibility statement",
]


def test_the_statement_follows_the_model_and_says_how_accessible_the_service_is(client, app):
    page = client.get("/accessibility")

    assert page.status == 200
    assert page.h1 == "Accessibility statement"
    headings = [h.get_text(strip=True) for h in page.soup.select("main h2, main h3")]
    assert headings == SECTIONS
    text = page.text
    assert (
        "This service is partially compliant with the Web Content Accessibility Guidelines "
        "version 2.2 AA standard" in text
    )
    # What is known not to be accessible, each with its reason.
    for known in (
        "without JavaScript, you are not warned before you are signed out",
        "PDF/UA-1",
        "3.3.8 (accessible authentication, minimum)",
    ):
        assert known in text
    # The time-outs meet 2.2.1: the idle one can be extended, the other is over 20 hours.
    assert "“Stay signed in” in that message (or the Escape key) gives you another 4 hours" in text
    assert "24 hours after signing in" in text
    assert "longer than 20 hours it meets WCAG 2.2 success criterion 2.2.1" in text
    assert app.config["SESSION_MAX_AGE"] > timedelta(hours=20)
    # How and when it was tested.
    assert "This service was last tested on 22 November 2026" in text
    for how in ("axe", "WCAG 2.2 A and AA", "320 pixels wide", "using only a keyboard"):
        assert how in text


def test_the_statement_says_whom_to_contact_and_who_enforces(client, app):
    page = client.get("/accessibility")

    contact = TEST_ISSUER["contact_email"]
    mailto = [a.get_text(strip=True) for a in page.soup.select(f'main a[href="mailto:{contact}"]')]
    assert mailto == [contact, contact]
    links = {a.get_text(strip=True): a["href"] for a in page.soup.select("main a")}
    assert links["Equality Advisory and Support Service (EASS)"].startswith(
        "https://www.equalityadvisoryservice.com"
    )
    assert links["Equality Commission for Northern Ireland (ECNI)"].startswith(
        "https://www.equalityni.org"
    )
    assert "Equality and Human Rights Commission (EHRC)" in page.text
    assert links["certificate verification page"] == "/verify"


@pytest.mark.parametrize("path", ["/", "/register", "/sign-in", "/no-such-page"])
def test_every_page_links_to_the_statement_from_its_footer(client, path):
    page = client.get(path)

    footer = page.soup.select_one("footer")
    links = footer.find_all("a", string=re.compile(r"^\s*Accessibility statement\s*$"))
    assert [a["href"] for a in links] == ["/accessibility"]
