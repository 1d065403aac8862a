"""Nothing a person types reaches any output unescaped. The hostile corpus (tests/hostile.py)
goes through every free-text field by the real forms; then every output that shows it is
read back: HTML pages (shown as text, nothing injected), the certificate PDF, emails (text
literal, HTML escaped), CSV exports (no formula left live), JSON (the exact string), Atom
(well-formed XML), the badge and the snippet that embeds it.

Escaping works on a whole string, so a field gets the whole corpus in a few texts: one
(`combined`) where it takes a few thousand characters, a few packed to its limit (`packed`)
where it takes one line. What depends on where a text starts or on its length is tried on
its own: a spreadsheet formula at the start of a CSV cell, blank text, text exactly at a
field's limit and one character over it, and a NUL (a 400).

Here: council names, people's names, a council's application, search boxes and email
addresses; what assessors and administrators write is in test_hostile_text_staff.py."""

from __future__ import annotations

import json
from itertools import zip_longest
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from defusedxml import ElementTree

from marks.applying import memberships
from marks.assessing import assessment
from marks.awarding import badges
from marks.extensions import db
from marks.forms import lines
from marks.models import Application, Award, Council, User
from marks.reporting.exports import safe_cell
from marks.states import ApplicationState, MembershipRole, MembershipState
from tests.helpers.pdfs import raw_text_of
from tests.hostile import (
    BLANKS,
    EVERY,
    NUL,
    as_printed,
    assert_shown,
    atom_entries,
    audit_csv,
    by_id,
    check_email,
    checked,
    combined,
    csv_records,
    emails,
    header_text,
    long_text,
    one_line,
    packed,
    refused,
    refused_with_nul,
    send,
    soup_of,
    xml_text,
)
from tests.pages import DEMO_PASSWORD, PageClient, signed_in

# Web addresses that pass the forms' checks (http or https, a host with a dot, no spaces) and
# are hostile all the same.
HOSTILE_LINKS = (
    'https://evil.example/"><script>alert(1)</script>',
    "https://evil.example/?q='onmouseover='alert(1)'",
    "https://evil.example/{{7*7}}/=HYPERLINK(1)",
    "https://evil.example/</textarea><img/src=x/onerror=alert(1)>",
    "http://xn--80ak6aa92e.example/\u202egnp.exe",
    "https://evil.example/&amp;&lt;b&gt;]]>",
)
LINKS = "\n".join(HOSTILE_LINKS)


@pytest.fixture
def admin(make):
    return make.administrator(full_name="Ada Administrator")


# --- Council names, added by administrators -----------------------------------------------------


def add_council(client: PageClient, gss_code: str, name: str):
    data = {"gss_code": gss_code, "name": name, "kind": "Town or parish council"}
    return send(client, "/admin/councils/new", {**data, "nation": "Wales"})


def test_council_names_are_shown_as_typed_in_every_output(app, make, edition, admin):
    client = signed_in(app, admin)
    names: dict[str, str] = {}
    awards: dict[str, Award] = {}
    for number, typed in enumerate([*packed(200), long_text(200)], start=1):
        code = f"W04{number:06d}"
        assert add_council(client, code, typed).status_code == 302, typed
        council = db.session.scalar(sa.select(Council).where(Council.gss_code == code))
        assert council.name == typed.strip()
        page = checked(client.get(f"/admin/councils/{code}"), code, council.name)
        page = checked(client.get(f"/admin/councils/{code}/edit"), code)
        assert page.field_value("name") == council.name
        names[code] = council.name
        awards[code] = make.award(council, admin=admin)

    for number, typed in enumerate([*BLANKS, long_text(201)], start=900):
        page = add_council(client, f"W04{number:06d}", typed)
        refused(page, f"name {typed[:20]!r}", {"name": typed.strip()})
    refused_with_nul(client, "/admin/councils/new", {"gss_code": "W04000999", "name": NUL.text})
    assert db.session.scalar(sa.select(sa.func.count(Council.id))) == len(names)

    for url in (
        "/admin/councils",
        "/admin/awards",
        "/admin/applications?state=approved",
    ):
        checked(client.get(url), url, *names.values())
    # The outbox lists subjects: email headers, which carry no control characters.
    checked(client.get("/admin/outbox"), "outbox", *map(header_text, names.values()))
    checked(client.get("/admin/dashboard"), "dashboard")  # the latest few
    public = PageClient(app)
    checked(public.get("/register"), "register", *names.values())

    for code, award in awards.items():
        name, number = names[code], award.certificate_number
        checked(public.get(f"/councils/{code}"), f"council page {code}", name)
        checked(public.get(f"/verify/{number}"), f"verify {code}", name)
        # Open Badges: the exact string, in the assertion and baked into the badge.
        assertion = json.loads(public.get(f"/ob/assertions/{number}.json").data)
        assert assertion["evidence"][0]["narrative"] == f"{name}'s public page on the register."
        svg = public.get(f"/badges/{number}.svg").get_data(as_text=True)
        ElementTree.fromstring(svg.encode())  # well-formed, whatever the name
        assert badges.unbake_svg(svg)[1] == assertion, code
        # The certificate prints it, as text.
        pdf = public.get(f"/certificates/{number}.pdf")
        assert pdf.status_code == 200, code
        printed = raw_text_of(pdf.data)
        assert as_printed(name) in as_printed(printed), code
        assert printed.count("\f") == 1, f"{code}: one page, however long the name"

        # The council's own page: the badge's alt text, and the snippet for its website.
        lead = memberships.leads(award.council)[0]
        status = f"/apply/applications/{award.application_id}/status"
        council = signed_in(app, lead)
        checked(council.get("/apply/"), f"home {code}", name)
        page = checked(council.get(status), f"status {code}", name)
        alt = f"Social Media Friendly Mark: check {name}'s current status"
        assert page.soup.find("img", alt=alt) is not None, code
        snippet = soup_of(page.field_value("embed"))
        assert [tag.name for tag in snippet.find_all(True)] == ["a", "img"], code
        assert snippet.img["alt"] == alt, code
        assert snippet.a["href"] == f"http://marks.test/verify/{number}", code
        (email,) = emails("application_approved", to=lead.email)
        assert header_text(name) in email.subject, code
        check_email(email, name)
        checked(client.get(f"/admin/outbox/{email.id}"), f"outbox {code}", name)

        # An assessor's queue and scoring page.
        (assignment, _) = assessment.active_assignments(award.application)
        assessor = signed_in(app, assignment.assessor)
        checked(assessor.get("/assess/"), f"assessor {code}", name)
        checked(assessor.get(f"/assess/{assignment.id}"), f"assessing {code}", name)

    # Open data, and the administrators' exports.
    by_code = {r["gss_code"]: r for r in csv_records(public.get("/register.csv"))}
    as_json = {r["gss_code"]: r for r in json.loads(public.get("/register.json").data)["councils"]}
    entries = atom_entries(public)
    scores = {
        r["council"] for r in csv_records(client.get(f"/admin/editions/{edition.id}/scores.csv"))
    }
    audit = {r["council"] for r in audit_csv(client)}
    for code, name in names.items():
        assert by_code[code]["council"] == safe_cell(name), code
        assert as_json[code]["council"] == name, code
        assert one_line(f"{xml_text(name)}: awarded Accredited") in entries, code
        assert safe_cell(name) in scores, code
        assert safe_cell(name) in audit, code


# --- Names given at sign-up ----------------------------------------------------------------------


def sign_up(client: PageClient, email: str, full_name: str):
    data = {"email": email, "password": DEMO_PASSWORD, "confirm": DEMO_PASSWORD}
    return send(client, "/sign-up", {**data, "full_name": full_name})


def test_names_given_at_sign_up_are_shown_as_typed(app, make, edition, admin):
    lead = make.member(role=MembershipRole.LEAD, full_name="Lee Lead")
    council = lead.membership.council
    client = PageClient(app)
    people: list[User] = []
    for number, typed in enumerate([*packed(200), long_text(200)]):
        email = f"person{number}@hostile.gov.uk"
        assert sign_up(client, email, typed).status_code == 302, typed
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert user.full_name == typed.strip()
        (confirm,) = emails("confirm_email", to=email)
        check_email(confirm, f"Dear {user.full_name},")
        link = next(w for w in confirm.body_text.split() if "/confirm-email/" in w)
        assert client.get(link.removeprefix("http://marks.test")).status_code == 302
        people.append(user)

        # Their own account page; they ask to join a council, and its lead is told.
        own = signed_in(app, user)
        checked(own.get("/account"), f"account {number}", user.full_name)
        joined = send(own, "/apply/join", {"q": council.name, "council": str(council.id)})
        assert joined.status_code == 302
        asked = emails("membership_requested", to=lead.email)[-1]
        assert header_text(user.full_name) in asked.subject
        check_email(asked, f"{user.full_name} ({email})")

    for number, typed in enumerate([*BLANKS, long_text(201)]):
        page = sign_up(client, f"refused{number}@hostile.gov.uk", typed)
        refused(page, f"sign-up {typed[:20]!r}", {"full_name": typed.strip()})
    refused_with_nul(client, "/sign-up", {"full_name": NUL.text, "email": "nul@hostile.gov.uk"})
    assert not db.session.scalars(sa.select(User).where(User.email.like("refused%"))).all()

    names = [user.full_name for user in people]
    lead_client, admin_client = signed_in(app, lead), signed_in(app, admin)
    checked(admin_client.get("/admin/membership-requests"), "membership requests", *names)
    checked(admin_client.get("/admin/people"), "people", *names)
    page = checked(lead_client.get("/apply/members"), "requests to join", *names)
    for user in people:
        checked(admin_client.get(f"/admin/people/{user.id}"), f"person {user.id}", user.full_name)
        # The lead approves: the page says so, and the person is told.
        approve = f"/apply/members/{user.membership.id}/approve"
        assert page.soup.find("form", action=approve) is not None
        page = checked(lead_client.get(send(lead_client, approve, {}).headers["Location"]), "")
        assert_shown(f"{user.full_name} has joined", page.text, "approved")
        assert user.membership.state == MembershipState.ACTIVE
        (welcome,) = emails("membership_approved", to=user.email)
        check_email(welcome, f"Dear {user.full_name},")

    actors = {r["actor_name"] for r in audit_csv(admin_client)}
    for name in names:
        assert safe_cell(name) in actors, name


# --- What a council writes in its application ----------------------------------------------------


def test_what_a_council_writes_in_its_application(app, make, edition, admin):
    lead = make.member(role=MembershipRole.LEAD, full_name="Lena Lead")
    client = signed_in(app, lead)
    assert client.submit("/apply/", {}).status_code == 302
    application = db.session.scalar(sa.select(Application).order_by(Application.id.desc()))
    base = f"/apply/applications/{application.id}"

    # About the council. A website or an account that is not a web address is refused, with
    # everything typed kept; then saved, with hostile web addresses, and shown again.
    about = f"{base}/about"
    for number, (name, phone) in enumerate(zip_longest(packed(200), packed(40), fillvalue="")):
        typed = {"contact_name": name, "contact_phone": phone}
        everything = {**typed, "website": name or phone, "social_accounts": combined()}
        page = send(client, about, {**everything, "save_as_draft": "Save as draft"})
        kept = {k: v if k == "social_accounts" else v.strip() for k, v in everything.items()}
        refused(page, f"about {number}", kept)
        assert_shown(lines(combined())[0][:60], page.text, "the account quoted")
        saved = {**typed, "website": HOSTILE_LINKS[number % 6], "social_accounts": LINKS}
        assert send(client, about, {**saved, "save_as_draft": "Save as draft"}).status_code == 302
        page = checked(client.get(about), f"about {number}")
        for field, value in saved.items():
            assert page.field_value(field) == value.strip(), f"about {number}: {field}"
    for typed in BLANKS:
        blank = dict.fromkeys(
            ("contact_name", "contact_phone", "website", "social_accounts"), typed
        )
        assert send(client, about, {**blank, "save_as_draft": "Save"}).status_code == 302
        assert application.contact_name is None and application.website is None
    saved = {"contact_name": by_id("script").text, "contact_email": "lena@x.gov.uk"}
    saved |= {"website": HOSTILE_LINKS[0], "social_accounts": LINKS}
    assert send(client, about, {**saved, "save_and_continue": "Continue"}).status_code == 302
    too_long = {"contact_name": long_text(201), "contact_phone": long_text(41)}
    refused(send(client, about, {**too_long, "save_as_draft": "Save"}), "about too long", too_long)
    refused_with_nul(client, about, {"contact_name": NUL.text})

    # An answer: the narrative as typed; the links refused unless they are web addresses.
    first = edition.criteria[0].code
    answer = f"{base}/criteria/{first}"
    page = client.submit(
        answer, {"narrative": combined(), "links": combined(), "save_as_draft": "Save"}
    )
    refused(page, "answer", {"narrative": combined(), "links": combined()})
    assert_shown(lines(combined())[0][:60], page.text, "the link quoted")
    for narrative in (combined(), long_text(20000), *BLANKS):
        data = {"narrative": narrative, "links": LINKS, "save_as_draft": "Save as draft"}
        assert client.submit(answer, data).status_code == 302
        page = checked(client.get(answer), "answer saved")
        assert page.field_value("narrative") == narrative
        assert page.field_value("links") == LINKS
    # Saved but too many words: said so, with everything typed.
    data = {"narrative": long_text(20000), "save_and_continue": "Save and continue"}
    refused(client.submit(answer, data), "too many words", {"narrative": long_text(20000)})
    data = {"narrative": long_text(20001), "save_as_draft": "Save as draft"}
    refused(client.submit(answer, data), "too long", {"narrative": long_text(20001)})
    refused_with_nul(client, answer, {"narrative": NUL.text})

    # Every criterion answered with part of the corpus, every link hostile.
    criteria = edition.criteria
    narratives = {}
    for i, criterion in enumerate(criteria):
        narratives[criterion.code] = "\n\n".join(EVERY[i :: len(criteria)])
        data = {"self_score": "3", "narrative": narratives[criterion.code], "links": LINKS}
        url = f"{base}/criteria/{criterion.code}"
        assert client.submit(url, {**data, "save_and_continue": "Continue"}).status_code == 302

    # Two colleagues at once: the one who saved second sees both versions, as typed.
    page = client.get(answer)
    stale = page.soup.find("input", attrs={"name": "version"})["value"]
    theirs = {"self_score": "3", "narrative": narratives[first], "links": LINKS}
    assert client.submit(answer, {**theirs, "save_as_draft": "Save"}).status_code == 302
    yours = {"narrative": combined(), "links": LINKS}
    page = send(client, answer, {"version": stale, **yours, "save_as_draft": "Save"})
    assert page.status == 409
    checked(page, "conflict", *EVERY, *HOSTILE_LINKS)
    for name, value in yours.items():
        assert page.soup.find("input", attrs={"type": "hidden", "name": name})["value"] == value

    checked(client.get(f"{base}/check"), "check your answers", *EVERY, *HOSTILE_LINKS)

    # The name on the declaration: kept as typed while the declaration is not ticked; a
    # blank name is no name.
    check = f"{base}/check"
    for typed in packed(200):
        page = send(client, check, {"declaration_name": typed})
        refused(page, "declaration", {"declaration_name": typed.strip()})
    for typed in BLANKS:
        page = send(client, check, {"declaration_name": typed, "declaration": "y"})
        refused(page, "declaration", {"declaration_name": ""}, says="Enter your full name")
    page = send(client, check, {"declaration_name": long_text(201), "declaration": "y"})
    refused(page, "declaration", {"declaration_name": long_text(201)})
    refused_with_nul(client, check, {"declaration_name": NUL.text, "declaration": "y"})
    declared = by_id("img-onerror").text
    response = send(client, check, {"declaration_name": declared, "declaration": "y"})
    assert response.status_code == 302, response.error_summary()
    assert application.declaration_name == declared

    # The assessors read it all, each link a link to where it says, and nowhere else.
    assessor = make.assessor()
    assignment = assessment.assign(application, assessor, actor=admin)
    page = signed_in(app, assessor).get(f"/assess/{assignment.id}")
    checked(page, "assessor", *EVERY, *HOSTILE_LINKS)
    shown = {(a["href"], a.get_text()) for a in page.soup.select("a[rel~=nofollow]")}
    assert shown == {(link, link) for link in HOSTILE_LINKS}


def test_a_withdrawal_reason(app, make, edition, admin):
    lead = make.member(role=MembershipRole.LEAD, full_name="Lena Lead")
    client = signed_in(app, lead)
    client.submit("/apply/", {})
    application = db.session.scalar(sa.select(Application).order_by(Application.id.desc()))
    url = f"/apply/applications/{application.id}/withdraw"
    refused(send(client, url, {"reason": long_text(2001)}), "", {"reason": long_text(2001)})
    refused_with_nul(client, url, {"reason": NUL.text})
    reason = combined()
    assert send(client, url, {"reason": reason}).status_code == 302
    assert application.state == ApplicationState.WITHDRAWN
    checked(client.get(f"/apply/applications/{application.id}/status"), "withdrawn", *EVERY)
    (email,) = emails("application_withdrawn", to=lead.email)
    check_email(email, reason)
    assert safe_cell(reason) in {r["reason"] for r in audit_csv(signed_in(app, admin))}


# --- Search boxes, and other fields that are only read back --------------------------------------


def test_what_is_searched_for_is_shown_as_typed(app, make, edition, admin):
    admin_client = signed_in(app, admin)
    public = PageClient(app)
    joining = signed_in(app, make.user())
    # (client, page, the field, how much of what was typed it keeps)
    boxes = [
        (public, "/register?q=", "q", 100),
        (admin_client, "/admin/councils?q=", "q", 200),
        (admin_client, "/admin/people?q=", "q", 100),
        (admin_client, "/admin/audit?council=", "council", None),
        (admin_client, "/admin/audit?user=", "user", None),
        (admin_client, "/admin/audit?date_from=", "date_from", None),
        (joining, "/apply/join?q=", "q", 100),
        (public, "/verify?number=", "number", None),  # not a number: told so, as typed
    ]
    for typed in [*packed(100), *BLANKS, long_text(320)]:
        for client, url, field, keeps in boxes:
            page = checked(client.get(url + quote(typed)), f"{url}{typed!r}")
            # The register's search is one line, its spaces collapsed (one page, one ETag).
            shown = " ".join(typed.split()) if url == "/register?q=" else typed.strip()
            assert page.field_value(field) == shown[:keeps], f"{url}{typed!r}"
        for kind in ("csv", "json", "atom"):
            assert public.get(f"/register.{kind}?q={quote(typed)}").status_code == 200
    for client, url, _, _ in boxes:
        assert client.get(url + quote(NUL.text)).status_code == 400, url


# Sign-in and password reset allow ten tries a minute from one address.
LIMITED = {"/sign-in", "/forgotten-password"}


def test_email_addresses_that_are_not_addresses_are_refused_as_typed(app, make, edition, admin):
    lead = make.member(role=MembershipRole.LEAD)
    forms = [
        (PageClient(app), "/sign-up"),
        (PageClient(app), "/sign-in"),
        (PageClient(app), "/forgotten-password"),
        (signed_in(app, lead), "/apply/members/invite"),
        (signed_in(app, admin), "/admin/people/invite"),
    ]
    for typed in [*packed(320), *BLANKS, long_text(321)]:
        for client, url in forms:
            if url in LIMITED and len(typed) > 320:
                continue
            page = send(client, url, {"email": typed, "kind": "assessor"})
            refused(page, f"{url} {typed!r}", {"email": typed.strip()})
    # Addresses that are valid and hostile all the same: shown as typed, safe in the CSV.
    admin_client = forms[-1][0]
    for address in ("o'brien&co+{{7*7}}@hostile.gov.uk", "=cmd|calc!a0@hostile.gov.uk"):
        response = send(
            admin_client, "/admin/people/invite", {"email": address, "kind": "assessor"}
        )
        assert response.status_code == 302, address
        checked(admin_client.get("/admin/people/invite"), "invited", address)
        (email,) = emails("staff_invitation", to=address)
        assert "/invitations/" in email.body_text
        assert sign_up(PageClient(app), address, "Hostile Address").status_code == 302
    emails_in_csv = {r["actor_email"] for r in audit_csv(admin_client)}
    assert safe_cell("=cmd|calc!a0@hostile.gov.uk") in emails_in_csv
