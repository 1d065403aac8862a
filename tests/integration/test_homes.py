"""Each person's next step: signing in lands them on their own home, the header shows only
what is theirs, the account page leads to their council; the public home page and the
criteria show what the Mark is before anyone applies."""

from __future__ import annotations

import pytest

from marks.states import MembershipRole, MembershipState
from tests.pages import DEMO_PASSWORD


def navigation(page) -> list[str]:
    links = page.soup.select(".govuk-service-navigation a")
    return [" ".join(a.get_text().split()) for a in links]


def a_council_user_who_asked_to_join(make):
    user = make.member(council=make.council())
    user.membership.state = MembershipState.REQUESTED
    return user


PEOPLE = {
    "administrator": (lambda make: make.administrator(), "/admin/"),
    "assessor": (lambda make: make.assessor(), "/assess/"),
    "council lead": (lambda make: make.member(role=MembershipRole.LEAD), "/apply/"),
    "council member": (lambda make: make.member(), "/apply/"),
    "council user yet to join": (lambda make: make.user(), "/apply/"),
    "council user waiting": (a_council_user_who_asked_to_join, "/apply/"),
}


@pytest.mark.parametrize("who", PEOPLE)
def test_signing_in_lands_each_person_on_their_own_home(client, make, who):
    person, home = PEOPLE[who]
    user = person(make)
    response = client.sign_in(user.email)
    if response.status_code == 302:
        assert response.headers["Location"] == home
    else:  # staff setting up a code: the recovery codes page leads on
        assert response.soup.select_one(f'a[href="{home}"]')


def test_a_safe_next_still_wins(client, make):
    user = make.member()
    sign_in = {"email": user.email, "password": DEMO_PASSWORD}
    response = client.submit("/sign-in?next=/register", sign_in)
    assert response.headers["Location"] == "/register"


@pytest.mark.parametrize(
    ("who", "sees", "does_not_see"),
    [
        ("administrator", ["Administration"], ["Your council", "Assessments"]),
        ("assessor", ["Assessments"], ["Your council", "Administration"]),
        ("council member", ["Your council"], ["Assessments", "Administration"]),
        ("council user yet to join", ["Your council"], ["Assessments", "Administration"]),
    ],
)
def test_the_header_shows_each_person_only_what_is_theirs(client, make, who, sees, does_not_see):
    user = PEOPLE[who][0](make)
    client.sign_in(user.email)
    shown = navigation(client.get("/"))
    for item in sees:
        assert item in shown, shown
    for item in does_not_see:
        assert item not in shown, shown


def test_an_assessor_who_works_for_a_council_sees_both(client, make):
    assessor = make.assessor()
    make.MembershipFactory(user=assessor)
    client.sign_in(assessor.email)
    shown = navigation(client.get("/"))
    assert "Assessments" in shown and "Your council" in shown


def test_the_account_page_links_to_the_council(client, make):
    user = make.member(role=MembershipRole.LEAD)
    council = user.membership.council
    client.sign_in(user.email)
    page = client.get("/account")
    link = page.soup.select_one("main a[href='/apply/']")
    assert link is not None and council.name in link.get_text()


def test_the_account_page_leads_someone_with_no_council_to_join_one(client, make):
    user = make.user()
    client.sign_in(user.email)
    page = client.get("/account")
    assert page.soup.select_one("main a[href='/apply/join']") is not None


def test_the_home_page_shows_the_badge_the_criteria_and_how_many_hold_the_mark(client, award):
    page = client.get("/")
    badge = page.soup.select_one("main img")
    assert badge is not None and "Social Media Friendly Mark" in badge["alt"]
    assert page.soup.select_one("main a[href='/criteria']") is not None
    assert "1 council holds the Mark" in page.text


def test_the_home_page_has_no_account_button_for_people_signed_in(client, make, award):
    user = make.member()
    client.sign_in(user.email)
    page = client.get("/")
    assert "Go to your account" not in page.text
    assert page.soup.select(".govuk-button--start") == []


def test_the_criteria_are_public(client, edition):
    page = client.get("/criteria")
    assert page.status == 200
    assert edition.title in page.text
    themes = [h.get_text(strip=True) for h in page.soup.select("main h2")]
    for theme in edition.themes:
        assert theme.title in themes
    criterion = edition.themes[0].criteria[0]
    assert criterion.title in page.text
    for descriptor in criterion.descriptors:
        assert descriptor.descriptor in page.text
    assert f"{edition.pass_mark}%" in page.text


def test_the_criteria_page_says_when_there_is_no_edition_yet(client):
    page = client.get("/criteria")
    assert page.status == 200
    assert "not published" in page.text


def test_signed_out_people_are_asked_to_create_an_account(client, edition):
    page = client.get("/")
    assert page.soup.select_one("a.govuk-button--start[href='/sign-up']") is not None
