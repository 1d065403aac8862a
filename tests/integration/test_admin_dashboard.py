"""The administrators' dashboard: every figure checked against known seeded data, in the charts
and in the tables beside them; nothing users typed unescaped; a fixed number of queries; and
nobody but administrators sees it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from defusedxml import ElementTree

from marks.applying import applications
from marks.assessing import assessment, decisions
from marks.extensions import db
from marks.models import Decision, utcnow
from marks.presentation import LONDON, govuk_date
from marks.states import AwardState, MembershipRole, Nation, Recommendation
from tests.helpers.applications import complete_application, score_all
from tests.helpers.awards import award_to

URL = "/admin/dashboard"


def decided(application, *, days_before: int, on=None) -> None:
    """Give a decided application known dates: decided `on` (now if not given), submitted
    `days_before` days earlier."""
    on = on or application.decided_at
    application.decided_at = on
    application.submitted_at = on - timedelta(days=days_before)
    decision = db.session.scalar(
        sa.select(Decision).where(Decision.application_id == application.id)
    )
    if decision is not None:
        decision.decided_at = on
    db.session.flush()


@pytest.fixture
def seeded(make):
    """Applications in known states, assessors with known workloads, awards with known dates.

    - draft 1, submitted 1, under review 1 (two assessors: Ada overdue, Ben due later),
      approved 1 by the workflow (Ada and Cat; decided now, 10 days after submission) plus 4
      awards made directly (each decided now, 7 days after submission), rejected 1 (Ben and
      Cat; decided 62 days ago, 4 days after submission): 6 decisions averaging 7 days;
    - councils holding the Mark: the approved one (England, Accredited), Wales expiring in 30
      days (Accredited), England expiring in 120 days (distinction); a revoked one (Scotland)
      and an expired one (Northern Ireland) that do not count.
    """
    edition = make.demo_edition()
    admin = make.administrator()
    now = utcnow()
    today = now.date()
    ada = make.assessor(full_name="Ada Lovelace")
    ben = make.assessor(full_name="Ben Jonson")
    cat = make.assessor(full_name="Cat Stevens")
    make.assessor(full_name="Dan <b>Brown</b> & co")  # nothing assigned
    make.assessor(full_name="Eve Gone", deactivated_at=now)  # not an active assessor

    lead = make.member(role=MembershipRole.LEAD)
    applications.start(lead.membership.council, actor=lead)  # a draft
    complete_application(make)  # submitted, nobody assigned yet

    under_review = complete_application(make)
    late = assessment.assign(under_review, ada, actor=admin, due_at=now - timedelta(days=2))
    assessment.assign(under_review, ben, actor=admin, due_at=now + timedelta(days=5))

    approved = complete_application(make)
    for assessor in (ada, cat):
        score_all(assessment.assign(approved, assessor, actor=admin), 3)
    level = decisions.moderation(approved).computed_level
    award = decisions.approve(approved, actor=admin, level=level)
    decided(approved, days_before=10)

    rejected = complete_application(make)
    for assessor in (ben, cat):
        score_all(
            assessment.assign(rejected, assessor, actor=admin),
            0,
            recommendation=Recommendation.DO_NOT_AWARD,
        )
    decisions.reject(rejected, actor=admin, reasons="Not yet")
    rejected_on = now - timedelta(days=62)
    decided(rejected, days_before=4, on=rejected_on)

    long_ago = today - timedelta(days=700)
    made = {
        "wales": award_to(
            make, edition, "Ynys <Môn> & Co Town Council", awarded=long_ago, nation=Nation.WALES
        ),
        "england": award_to(make, edition, "Ashby Parish Council", awarded=long_ago, level=1),
        "revoked": award_to(
            make,
            edition,
            "Perth Community Council",
            awarded=long_ago,
            nation=Nation.SCOTLAND,
            state=AwardState.REVOKED,
        ),
        "expired": award_to(
            make, edition, "Newry Council", awarded=long_ago, nation=Nation.NORTHERN_IRELAND
        ),
    }
    made["wales"].expires_on = today + timedelta(days=30)
    made["england"].expires_on = today + timedelta(days=120)
    made["revoked"].expires_on = today + timedelta(days=30)
    made["expired"].expires_on = today - timedelta(days=5)
    for made_award in made.values():
        decided(made_award.application, days_before=7)
    return {
        "admin": admin,
        "award": award,
        "level": level,
        "late": late,
        "under_review": under_review,
        "rejected_on": rejected_on,
        "now": now,
        **made,
    }


def section(page, name: str):
    return page.soup.select_one(f"#{name}-heading").find_parent("section")


def table(page, name: str) -> dict[str, list[str]]:
    """The section's table: each row's first cell -> the other cells' text."""
    rows = section(page, name).select("tbody tr")
    return {
        row.find(["th", "td"]).get_text(" ", strip=True): [
            cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])[1:]
        ]
        for row in rows
    }


def chart(page, name: str) -> str:
    """The section's chart, parsed as the SVG it is: an image, and its description."""
    root = ElementTree.fromstring(str(section(page, name).find("svg")))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{name}-chart-title {name}-chart-desc"
    return root.find("{http://www.w3.org/2000/svg}desc").text


def test_the_figures_against_known_data(client, seeded):
    client.sign_in(seeded["admin"].email)
    page = client.get(URL)
    assert page.status == 200
    assert page.h1 == "How the scheme is doing"

    assert table(page, "applications") == {
        "Draft": ["1"],
        "Submitted": ["1"],
        "Under review": ["1"],
        "Ready for decision": ["0"],
        "More information requested": ["0"],
        "Approved": ["5"],
        "Not approved": ["1"],
        "Withdrawn": ["0"],
    }
    assert chart(page, "applications") == (
        "Draft: 1; Submitted: 1; Under review: 1; Ready for decision: 0; "
        "More information requested: 0; Approved: 5; Not approved: 1; Withdrawn: 0."
    )

    level = seeded["level"].name
    assert level == "Accredited"
    assert table(page, "levels") == {"Accredited": ["2"], "Accredited with distinction": ["1"]}
    assert chart(page, "levels") == "Accredited: 2; Accredited with distinction: 1."

    assert table(page, "nations") == {
        "England": ["2"],
        "Wales": ["1"],
        "Scotland": ["0"],
        "Northern Ireland": ["0"],
    }
    assert chart(page, "nations") == "England: 2; Wales: 1; Scotland: 0; Northern Ireland: 0."

    months = table(page, "decisions")
    assert len(months) == 12
    this_month = seeded["now"].astimezone(LONDON).strftime("%B %Y")
    rejected_month = seeded["rejected_on"].astimezone(LONDON).strftime("%B %Y")
    assert list(months)[-1] == this_month
    assert months[this_month] == ["5", "0"]
    assert months[rejected_month] == ["0", "1"]
    assert sum(int(a) + int(r) for a, r in months.values()) == 6
    short = seeded["now"].astimezone(LONDON).strftime("%b %Y")
    assert chart(page, "decisions").endswith(f"{short}: Approved 5, Not approved 0.")

    average = page.soup.select_one("#average-time").get_text(" ", strip=True)
    assert average == "7 days on average, over 6 decisions."

    assert table(page, "workload") == {
        "Ada Lovelace": ["1", "1"],
        "Ben Jonson": ["1", "0"],
        "Cat Stevens": ["0", "0"],
        "Dan <b>Brown</b> & co": ["0", "0"],
    }
    assert chart(page, "workload") == (
        "Ada Lovelace: 1; Ben Jonson: 1; Cat Stevens: 0; Dan <b>Brown</b> & co: 0."
    )

    overdue = section(page, "overdue")
    assert "1 assessment past their due date" in overdue.get_text(" ", strip=True)
    council = seeded["under_review"].council.name
    assert table(page, "overdue") == {
        council: ["Ada Lovelace", f"{govuk_date(seeded['late'].due_at)}, 2 days ago"]
    }
    link = overdue.select_one("tbody a")
    assert link["href"] == f"/admin/applications/{seeded['under_review'].id}"

    wales = seeded["wales"]
    expiring = table(page, "expiring")
    assert expiring == {
        "Ynys <Môn> & Co Town Council": [
            wales.certificate_number,
            f"{govuk_date(wales.expires_on)}, in 30 days",
        ]
    }
    link = section(page, "expiring").select_one("tbody a")
    assert link["href"] == f"/verify/{wales.certificate_number}"
    text = page.text
    for not_listed in ("Ashby Parish Council", "Perth Community Council", "Newry Council"):
        assert not_listed not in text
    assert seeded["award"].certificate_number not in text


def test_what_users_typed_is_escaped_in_charts_and_tables(client, seeded):
    client.sign_in(seeded["admin"].email)
    html = client.get(URL).response.get_data(as_text=True)
    assert "<b>Brown</b>" not in html
    assert "Dan &lt;b&gt;Brown&lt;/b&gt; &amp; co" in html
    assert "<Môn>" not in html and "&lt;Môn&gt;" in html
    # The charts need nothing the Content-Security-Policy refuses.
    assert " style=" not in html and "<style" not in html


def test_an_empty_scheme_says_so(client, make):
    admin = make.administrator()
    client.sign_in(admin.email)
    page = client.get(URL)
    assert page.status == 200
    assert page.soup.select_one("#average-time").get_text(strip=True) == "No decisions yet."
    for name in ("applications", "levels", "nations", "decisions", "workload"):
        assert chart(page, name) == "No data yet.", name
    assert "No council holds the Mark yet." in page.text
    assert "There are no active assessors." in page.text
    assert "No assessment is overdue." in page.text
    assert "No award expires in the next 90 days." in page.text


def test_the_dashboard_asks_the_database_a_fixed_number_of_times(client, seeded, make):
    client.sign_in(seeded["admin"].email)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def queries() -> int:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(URL).status == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    before = queries()
    edition = seeded["wales"].edition
    soon = utcnow().date() + timedelta(days=10)
    for i in range(5):
        award_to(
            make, edition, f"More {i} Parish Council", awarded=soon - timedelta(days=700)
        ).expires_on = soon
        late = complete_application(make)
        assessment.assign(
            late, make.assessor(), actor=seeded["admin"], due_at=utcnow() - timedelta(days=1)
        )
    db.session.flush()
    assert queries() == before <= 14, before


@pytest.mark.parametrize("role", ["anonymous", "user", "member", "assessor"])
def test_nobody_but_administrators_sees_it(client, make, role):
    if role != "anonymous":
        person = {"user": make.user, "member": make.member, "assessor": make.assessor}[role]()
        client.sign_in(person.email)
    response = client.get(URL)
    if role == "anonymous":
        assert response.status_code == 302
        assert "/sign-in" in response.headers["Location"]
    else:
        assert response.status_code == 404
