"""No one but its addressee sees a live link: the outbox (its list, an email's page, the HTML
preview, sending again) shows every link that signs someone in, resets a password, confirms an
address or accepts an invitation with its token redacted, while the email itself, stored and
sent, keeps the link that works. The attack it stops: ask for a reset of someone else's
password, then open the email in the outbox and use the link."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import current_app

from marks import audit, mail
from marks.applying import memberships
from marks.extensions import db
from marks.logs import REDACTED, token_prefixes
from marks.models import Email, User
from marks.people import staff
from marks.states import EmailState, InvitationKind, MembershipRole, ReasonAudience
from tests.pages import DEMO_PASSWORD, PageClient

VICTIM = "lead@hartlepool.gov.uk"
LINK = re.compile(r"http://marks\.test(/[^\s\"'<>]+)")
HIDDEN = "only the person it is sent to can use"


def link_in(email: Email) -> str:
    """The path of the one link with a token in the email (as stored, so as sent)."""
    prefixes = token_prefixes(current_app)
    [path] = [p for p in LINK.findall(email.body_text) if p.startswith(tuple(prefixes))]
    return path


@pytest.fixture
def emails(client, make, admin) -> dict[str, Email]:
    """One email of each kind with a live link, queued as people queue them."""
    lead = make.member(role=MembershipRole.LEAD, email=VICTIM, full_name="Lee Lead")
    stranger = PageClient(client.app)
    stranger.submit("/forgotten-password", {"email": VICTIM})
    stranger.submit(
        "/sign-up",
        {
            "full_name": "Nia Newcomer",
            "email": "nia@darlington.gov.uk",
            "password": DEMO_PASSWORD,
            "confirm": DEMO_PASSWORD,
        },
    )
    memberships.invite(lead.membership.council, "colleague@hartlepool.gov.uk", actor=lead)
    staff.invite("assessor@example.org", InvitationKind.ASSESSOR, admin)
    found = {
        email.template: email
        for email in db.session.scalars(sa.select(Email).order_by(Email.id))
        if email.template != "password_changed"
    }
    assert set(found) == {
        "reset_password",
        "confirm_email",
        "council_invitation",
        "staff_invitation",
    }
    # Every route that takes a token has its email here.
    paths = {link_in(email).rsplit("/", 1)[0] + "/" for email in found.values()}
    assert paths == set(token_prefixes(client.app))
    return found


def received(inbox, address: str) -> str:
    """The plain text of the one email the address received, decoded as a mail client does."""
    [envelope] = [m for m in inbox.messages if m.rcpt_tos == [address]]
    message = message_from_bytes(envelope.content, policy=default)
    return message.get_body(("plain",)).get_content()


def admin_pages(client, email: Email) -> dict[str, str]:
    """Every page an administrator can reach that shows something of the email."""
    urls = [
        "/admin/",
        "/admin/outbox",
        f"/admin/outbox/{email.id}",
        "/admin/audit",
        "/admin/audit.csv",
        "/admin/people",
    ]
    if email.body_html:
        urls.append(f"/admin/outbox/{email.id}/preview.html")
    addressee = db.session.scalar(sa.select(User).where(User.email == email.to_address))
    if addressee is not None:
        urls.append(f"/admin/people/{addressee.id}")
    pages = {}
    for url in urls:
        response = client.request("GET", url)
        assert response.status_code == 200, url
        pages[url] = response.get_data(as_text=True)
    return pages


def test_no_administrator_page_shows_a_live_link(signed_in, emails):
    for template, email in emails.items():
        token = link_in(email).rsplit("/", 1)[1]
        assert len(token) > 20, template
        pages = admin_pages(signed_in, email)
        leaked = [url for url, body in pages.items() if token in body]
        assert leaked == [], f"{template}: the live link is on {leaked}"
        page = signed_in.get(f"/admin/outbox/{email.id}")
        shown = page.soup.select_one(".marks-email-body").get_text()
        assert f"{link_in(email).rsplit('/', 1)[0]}/{REDACTED}" in shown, template
        assert HIDDEN in page.text, template
        # The email itself is unchanged: the worker sends the link that works.
        db.session.refresh(email)
        assert token in email.body_text


def test_the_reset_link_an_administrator_sees_does_not_work(signed_in, emails):
    email = emails["reset_password"]
    page = signed_in.get(f"/admin/outbox/{email.id}")
    [shown] = LINK.findall(page.soup.select_one(".marks-email-body").get_text())
    assert shown == f"/reset-password/{REDACTED}"
    victim = db.session.scalar(sa.select(User).where(User.email == VICTIM))
    before = victim.password_hash
    attacker = PageClient(signed_in.app)
    page = attacker.get(shown)
    assert page.status == 400
    assert "Set a new password" not in page.text
    response = attacker.post(shown, data={"password": "taken over!!", "confirm": "taken over!!"})
    assert response.status_code == 400
    db.session.refresh(victim)
    assert victim.password_hash == before


def test_the_addressee_gets_the_working_link(signed_in, emails, mail_server):
    email = emails["reset_password"]
    live = link_in(email)
    signed_in.get(f"/admin/outbox/{email.id}")  # an administrator looked first
    assert mail.send_queued()[1] == 0
    assert f"http://marks.test{live}" in received(mail_server, VICTIM).split()
    owner = PageClient(signed_in.app)
    new = {"password": "a brand new password", "confirm": "a brand new password"}
    assert owner.submit(live, new).headers["Location"] == "/sign-in"
    assert owner.sign_in(VICTIM, "a brand new password").status_code == 302


def test_sending_again_keeps_the_link_hidden_and_working(signed_in, emails, mail_server):
    email = emails["staff_invitation"]
    live = link_in(email)
    token = live.rsplit("/", 1)[1]
    email.state, email.attempts = EmailState.FAILED, mail.MAX_ATTEMPTS
    email.last_error = f"SMTPDataError: 554 rejected {live}"  # a server may quote the message
    db.session.flush()
    page = signed_in.get(f"/admin/outbox/{email.id}")
    assert token not in str(page.soup)
    action = f"/admin/outbox/{email.id}/resend"
    csrf = page.soup.find("form", action=action).find("input", attrs={"name": "csrf_token"})
    response = signed_in.post(action, data={"csrf_token": csrf["value"]})
    assert response.headers["Location"] == f"/admin/outbox/{email.id}"
    page = signed_in.get(f"/admin/outbox/{email.id}")
    assert f"The email to {email.to_address} will be sent again." in page.text
    pages = admin_pages(signed_in, email)
    assert [url for url, body in pages.items() if token in body] == []
    assert mail.send_queued()[1] == 0
    assert f"http://marks.test{live}" in received(mail_server, email.to_address).split()


def test_the_html_preview_hides_links_in_hrefs_and_text(signed_in, emails):
    reset = emails["reset_password"]
    live = f"http://marks.test{link_in(reset)}"
    token = live.rsplit("/", 1)[1]
    sign_in_first = f"http://marks.test/sign-in?next={quote(link_in(reset), safe='')}"
    email = Email(
        to_address=VICTIM,
        subject="Reset your password",
        body_text=reset.body_text,
        body_html=f'<p><a href="{live}">{live}</a></p><p><a href="{sign_in_first}">Sign in</a></p>',
        template="reset_password",
    )
    db.session.add(email)
    db.session.flush()
    response = signed_in.request("GET", f"/admin/outbox/{email.id}/preview.html")
    html = response.get_data(as_text=True)
    assert token not in html
    assert html.count(REDACTED) == 3
    assert response.headers["Cache-Control"] == "private, no-store"


def test_the_audit_log_shows_no_live_link_either(signed_in, emails, admin):
    live = f"http://marks.test{link_in(emails['council_invitation'])}"
    token = live.rsplit("/", 1)[1]
    # Whatever an event was given (a reason someone pasted, a server's error), it shows none.
    audit.record(
        "email.resent",
        emails["council_invitation"],
        actor=admin,
        reason=live,
        reason_audience=ReasonAudience.RECORD,
        seen=live,
    )
    pages = {url: signed_in.request("GET", url) for url in ("/admin/audit", "/admin/audit.csv")}
    for url, response in pages.items():
        body = response.get_data(as_text=True)
        assert token not in body, url
        assert body.count(f"/apply/invitations/{REDACTED}") == 2, url
