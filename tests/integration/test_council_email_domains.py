"""A council's email domains: administrators record them, and the first person to join a council
with no members becomes its lead at once only from one of them; anyone else waits for an
administrator. (The journey through the join pages is in test_council_members.py.)"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marks.applying import memberships
from marks.extensions import db
from marks.models import AuditEvent, CouncilEmailDomain, Email
from marks.people import councils
from marks.states import CouncilKind, MembershipRole, MembershipState, Nation
from tests.integration.admin_council_pages import by_code, filled_in, post_form


@pytest.fixture
def hartlepool(make):
    return make.council(
        gss_code="E06000001",
        name="Hartlepool",
        email_domains=[CouncilEmailDomain(domain="hartlepool.gov.uk")],
    )


def emails_to(address: str) -> list[Email]:
    return list(db.session.scalars(sa.select(Email).where(Email.to_address == address)))


# --- Joining ------------------------------------------------------------------------------------


def test_only_an_address_at_a_recorded_domain_makes_the_first_person_lead(make, hartlepool):
    assert memberships.at_recorded_domain(make.user(email="lena@hartlepool.gov.uk"), hartlepool)
    # Exactly the domain recorded: a subdomain may be a school's or a supplier's, and a parent
    # domain is every council's.
    for email in (
        "head@school.hartlepool.gov.uk",
        "someone@gov.uk",
        "lena@hartlepool.gov.uk.example.org",
        "lena@nothartlepool.gov.uk",
    ):
        assert not memberships.at_recorded_domain(make.user(email=email), hartlepool), email
    # An address nobody has confirmed proves nothing.
    unconfirmed = make.user(email="new@hartlepool.gov.uk", email_confirmed_at=None)
    assert not memberships.at_recorded_domain(unconfirmed, hartlepool)
    # Another council's domain is not this one's.
    other = make.council(email_domains=[CouncilEmailDomain(domain="stockton.gov.uk")])
    assert not memberships.at_recorded_domain(make.user(email="s@stockton.gov.uk"), hartlepool)
    assert memberships.at_recorded_domain(make.user(email="t@stockton.gov.uk"), other)


def test_the_first_person_at_a_recorded_domain_leads_at_once(make, admin, hartlepool):
    lena = make.user(email="lena@hartlepool.gov.uk")
    membership = memberships.ask_to_join(lena, hartlepool)
    assert (membership.role, membership.state) == (MembershipRole.LEAD, MembershipState.ACTIVE)
    assert emails_to(admin.email) == []
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.subject_id == membership.id))
    assert event.action == "membership.joined_as_lead"


def test_anyone_else_asks_an_administrator_and_approved_leads(make, admin, hartlepool):
    stranger = make.user(email="lena@hartlepool.gov.uk.example.org")
    membership = memberships.ask_to_join(stranger, hartlepool)
    assert (membership.role, membership.state) == (MembershipRole.MEMBER, MembershipState.REQUESTED)
    assert memberships.first_of_their_council([membership]) == {membership.id}
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.subject_id == membership.id))
    assert (event.action, event.data) == ("membership.requested", {"answered_by": "administrator"})
    (told,) = emails_to(admin.email)
    assert told.template == "membership_requested_first"
    assert "http://marks.test/admin/membership-requests" in told.body_text

    # Nobody but an administrator can answer it: the council has no lead.
    with pytest.raises(memberships.MembershipRefused):
        memberships.decide(membership, approve=True, actor=make.user())
    memberships.decide(membership, approve=True, actor=admin)
    assert (membership.role, membership.state) == (MembershipRole.LEAD, MembershipState.ACTIVE)
    (welcome,) = emails_to(stranger.email)
    assert "You are the council's lead" in welcome.body_text
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "membership.approved")
    )
    assert (event.actor_id, event.data) == (admin.id, {"role": "lead"})


def test_of_two_waiting_the_first_approved_leads_and_the_next_is_a_member(make, admin):
    council = make.council()
    first = memberships.ask_to_join(make.user(), council)
    second = memberships.ask_to_join(make.user(), council)
    assert memberships.first_of_their_council([first, second]) == {first.id, second.id}
    memberships.decide(second, approve=True, actor=admin)
    memberships.decide(first, approve=True, actor=admin)
    assert (second.role, first.role) == (MembershipRole.LEAD, MembershipRole.MEMBER)


def test_a_council_with_members_keeps_its_rules_whatever_the_domain(make, admin, hartlepool):
    lead = make.member(council=hartlepool, role=MembershipRole.LEAD)
    colleague = make.user(email="omar@hartlepool.gov.uk")
    membership = memberships.ask_to_join(colleague, hartlepool)
    assert (membership.role, membership.state) == (MembershipRole.MEMBER, MembershipState.REQUESTED)
    assert memberships.first_of_their_council([membership]) == set()
    assert [e.template for e in emails_to(lead.email)] == ["membership_requested"]
    assert emails_to(admin.email) == []
    # A request made before the lead joined is the lead's to answer now, as a member's.
    council = make.council(email_domains=[CouncilEmailDomain(domain="darlington.gov.uk")])
    early = memberships.ask_to_join(make.user(), council)
    dee = make.user(email="dee@darlington.gov.uk")
    assert memberships.ask_to_join(dee, council).role == MembershipRole.LEAD
    assert memberships.first_of_their_council([early]) == set()
    memberships.decide(early, approve=True, actor=dee)
    assert (early.role, early.state) == (MembershipRole.MEMBER, MembershipState.ACTIVE)


# --- Administrators record them -----------------------------------------------------------------


def test_an_administrator_records_a_councils_email_domains(signed_in, admin, hartlepool):
    page = signed_in.get("/admin/councils/E06000001")
    assert "Email domains hartlepool.gov.uk" in page.text
    page = signed_in.get("/admin/councils/E06000001/edit")
    assert page.soup.find("textarea", attrs={"name": "email_domains"}).get_text().strip() == (
        "hartlepool.gov.uk"
    )
    typed = " Hartlepool.gov.uk\nHBC.example.org, hartlepool.gov.uk\n\n"
    response = post_form(signed_in, page, {**filled_in(page), "email_domains": typed})
    assert response.status_code == 302
    assert councils.email_domain_names(hartlepool) == ["hartlepool.gov.uk", "hbc.example.org"]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "council.edited"))
    assert (event.actor_id, event.council_id) == (admin.id, hartlepool.id)
    assert event.data["changes"] == {
        "email_domains": ["hartlepool.gov.uk", "hartlepool.gov.uk, hbc.example.org"]
    }
    page = signed_in.get("/admin/councils/E06000001")
    assert "Hartlepool's details have been saved." in page.text
    assert "Email domains hartlepool.gov.uk hbc.example.org" in page.text

    # Emptied, none is recorded, and the page says what that means.
    page = signed_in.get("/admin/councils/E06000001/edit")
    post_form(signed_in, page, {**filled_in(page), "email_domains": ""})
    assert councils.email_domain_names(hartlepool) == []
    page = signed_in.get("/admin/councils/E06000001")
    assert (
        "Email domains None recorded: the first person to join it waits for an administrator "
        "to approve them" in page.text
    )


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "lena@hartlepool.gov.uk",
            "Enter “lena@hartlepool.gov.uk” without the @ and the name before it, like "
            "hartlepool.gov.uk",
        ),
        ("@hartlepool.gov.uk", "Enter “@hartlepool.gov.uk” without the @ and the name before it"),
        ("hartlepool", "Enter email domains in the correct format, like hartlepool.gov.uk"),
        ("hartle_pool.gov.uk", "Enter email domains in the correct format"),
        ("https://www.hartlepool.gov.uk/", "Enter email domains in the correct format"),
        ("hartlepool.gov.uk.", "Enter email domains in the correct format"),
        ("bücher.de", "Enter email domains in the correct format"),
        ("<script>alert(1)</script>", "“<script>alert(1)</script>” is not one"),
        ("GMail.com", "Anyone can have an email address at gmail.com: enter only domains"),
        ("gov.uk", "Anyone can have an email address at gov.uk"),
        (
            "\n".join(f"d{n}.example.org" for n in range(21)),
            "Enter 20 email domains or fewer",
        ),
    ],
)
def test_a_bad_email_domain_is_refused_and_what_was_typed_kept(
    signed_in, hartlepool, typed, message
):
    page = signed_in.get("/admin/councils/E06000001/edit")
    page = post_form(signed_in, page, {**filled_in(page), "email_domains": typed})
    assert page.status == 200
    (error,) = page.error_summary()
    assert error.startswith(message) or message in error, error
    assert page.soup.title.get_text().startswith("Error: Change Hartlepool's details")
    assert page.soup.find("textarea", attrs={"name": "email_domains"}).get_text() == typed
    assert page.soup.find("script", string=lambda s: s and "alert(1)" in s) is None
    db.session.expire_all()
    assert councils.email_domain_names(hartlepool) == ["hartlepool.gov.uk"]
    assert (
        db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action.like("council.%")))
        is None
    )


def test_a_council_is_added_with_its_domains_and_councils_may_share_one(signed_in, admin, make):
    adur = make.council(
        gss_code="E07000223",
        name="Adur",
        kind=CouncilKind.DISTRICT,
        email_domains=[CouncilEmailDomain(domain="adur-worthing.gov.uk")],
    )
    response = signed_in.submit(
        "/admin/councils/new",
        {
            "gss_code": "E07000229",
            "name": "Worthing",
            "kind": CouncilKind.DISTRICT.value,
            "nation": Nation.ENGLAND.value,
            "email_domains": "adur-worthing.gov.uk",
        },
    )
    assert response.status_code == 302
    worthing = by_code("E07000229")
    assert councils.email_domain_names(worthing) == ["adur-worthing.gov.uk"]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "council.added"))
    assert (event.actor_id, event.data["email_domains"]) == (admin.id, ["adur-worthing.gov.uk"])
    page = signed_in.get("/admin/councils/E07000229")
    assert "adur-worthing.gov.uk (shared with Adur )" in page.text
    assert page.soup.find("a", href="/admin/councils/E07000223", string="Adur")
    assert "(shared with Worthing )" in signed_in.get("/admin/councils/E07000223").text
    assert councils.email_domain_names(adur) == ["adur-worthing.gov.uk"]


def test_merging_moves_the_email_domains_to_the_council_kept(admin, make):
    duplicate = make.council(
        email_domains=[
            CouncilEmailDomain(domain="durham.gov.uk"),
            CouncilEmailDomain(domain="countydurham.gov.uk"),
        ]
    )
    kept = make.council(email_domains=[CouncilEmailDomain(domain="durham.gov.uk")])
    councils.merge(duplicate, kept, admin)
    db.session.expire_all()
    assert councils.email_domain_names(kept) == ["countydurham.gov.uk", "durham.gov.uk"]
    assert councils.email_domain_names(duplicate) == []
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "council.merged"))
    assert event.data["email_domains"] == ["countydurham.gov.uk", "durham.gov.uk"]
