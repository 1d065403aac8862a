"""The administrators' outbox."""

from __future__ import annotations

from marks import mail
from marks.extensions import db


def test_the_outbox_lists_every_email_and_shows_one(client, make):
    admin = make.administrator()
    user = make.user(full_name="<script>alert(1)</script>")
    email = mail.queue(user.email, "password_changed", user=user)
    client.sign_in(admin.email)

    page = client.get("/admin/")
    assert "1 queued, 0 sent, 0 failed" in page.text

    page = client.get("/admin/outbox")
    assert page.h1 == "Outbox"
    link = page.soup.select_one("tbody tr a")
    assert link["href"] == f"/admin/outbox/{email.id}"
    assert link.get_text(strip=True) == "Your password has been changed"
    row = page.soup.select_one("tbody tr").get_text(" ")
    assert "Your password has been changed" in row
    assert user.email in row
    assert "Queued" in row

    page = client.get(f"/admin/outbox/{email.id}")
    assert page.h1 == "Email: Your password has been changed"
    body = page.soup.select_one("pre").decode_contents()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert" not in page.response.get_data(as_text=True)


def test_the_outbox_pages(client, make):
    admin = make.administrator()
    client.sign_in(admin.email)
    assert "No emails yet." in client.get("/admin/outbox").text
    assert client.get("/admin/outbox?page=0").status == 404
    assert client.get("/admin/outbox?page=99").status == 404
    assert client.get("/admin/outbox/12345").status == 404


def test_administrators_answer_requests_to_join(client, make):
    from marks.states import MembershipRole, MembershipState

    admin = make.administrator()
    lead = make.member(role=MembershipRole.LEAD)
    asking = make.member(council=lead.membership.council)
    asking.membership.state = MembershipState.REQUESTED
    db.session.flush()
    client.sign_in(admin.email)
    assert "1 waiting." in client.get("/admin/").text
    page = client.get("/admin/membership-requests")
    assert asking.email in page.text
    action = f"/admin/membership-requests/{asking.membership.id}/approve"
    form = page.soup.find("form", action=action)
    response = client.post(action, data={"csrf_token": form.find("input")["value"]})
    assert response.status_code == 302
    assert asking.membership.state == MembershipState.ACTIVE
    page = client.get("/admin/membership-requests")
    assert f"{asking.full_name}'s request to join" in page.text
    assert "There are no requests waiting." in page.text
