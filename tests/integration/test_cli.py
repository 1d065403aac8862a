"""The flask commands: seed-demo, create-user, import-councils, send-mail."""

from __future__ import annotations

import sqlalchemy as sa

from marks.applying import memberships
from marks.extensions import db
from marks.models import Council, Edition, Email, PracticeExample, practice_example_files
from marks.people import councils, users
from marks.states import EmailState, MembershipRole, Nation, UserRole


def test_seed_demo_loads_everything_and_can_run_again(runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    # Every UK council: England and Wales from the ONS file, the rest from the names file.
    assert "Councils: 417 added" in result.output
    assert "Application for Redcar and Cleveland Borough Council: info_requested" in result.output
    assert "password: demo-password" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Council.id))) == 417
    assert db.session.scalar(sa.select(Edition.code)) == "2026"
    lead = users.find_user("lead@hartlepool.gov.uk")
    assert lead.membership.role == MembershipRole.LEAD
    assert lead.membership.council.gss_code == "E06000001"
    assert users.find_user("officer@hartlepool.gov.uk").membership.role == MembershipRole.MEMBER
    assert users.find_user("admin@example.org").role == UserRole.ADMINISTRATOR
    assert users.find_user("assessor2@example.org").role == UserRole.ASSESSOR
    assert "Email domains recorded for 13 councils" in result.output
    assert councils.email_domain_names(lead.membership.council) == ["hartlepool.gov.uk"]
    middlesbrough = councils.find("E06000002")
    assert councils.email_domain_names(middlesbrough) == ["middlesbrough.gov.uk"]
    assert memberships.active_members(middlesbrough) == []
    assert "The library of good practice: 5 published, 1 offered, 1 withdrawn" in result.output
    library = client.get("/practice")
    assert "5 examples" in library.text
    picked = db.session.scalar(sa.select(practice_example_files.c.evidence_file_id))
    example = db.session.scalar(sa.select(practice_example_files.c.example_id))
    assert client.get(f"/practice/{example}/files/{picked}").status_code == 200

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert "0 added, 0 updated, 417 unchanged" in again.output
    assert "Edition already loaded" in again.output
    assert "Email domains recorded" not in again.output
    assert "The library of good practice" not in again.output
    assert db.session.scalar(sa.select(sa.func.count(PracticeExample.id))) == 7

    for email in ("admin@example.org", "assessor1@example.org", "lead@hartlepool.gov.uk"):
        client.sign_in(email, "demo-password")
        assert client.get("/account").status == 200
        client.sign_out()


def test_create_user_for_staff_and_councils(runner):
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(
        args=[
            "create-user",
            "--email=Chair@Example.org",
            "--name=Chair Person",
            "--role=administrator",
            "--password=long enough password",
        ]
    )
    assert result.exit_code == 0, result.output
    chair = users.find_user("chair@example.org")
    assert chair.role == UserRole.ADMINISTRATOR
    assert chair.email_confirmed_at is not None

    no_council = runner.invoke(
        args=[
            "create-user",
            "--email=x@y.gov.uk",
            "--name=X",
            "--role=council-lead",
            "--password=long enough password",
        ]
    )
    assert no_council.exit_code != 0
    assert "--council is needed" in no_council.output

    lead = runner.invoke(
        args=[
            "create-user",
            "--email=lead@gateshead.gov.uk",
            "--name=D Lead",
            "--role=council-lead",
            "--council=E08000037",
            "--password=long enough password",
        ]
    )
    assert lead.exit_code == 0, lead.output
    assert users.find_user("lead@gateshead.gov.uk").membership.council.name == (
        "Gateshead Metropolitan Borough Council"
    )

    taken = runner.invoke(
        args=[
            "create-user",
            "--email=chair@example.org",
            "--name=Again",
            "--role=assessor",
            "--password=long enough password",
        ]
    )
    assert "already exists" in taken.output


def test_import_councils_reports_and_refuses_bad_files(runner, tmp_path):
    good = tmp_path / "scotland.csv"
    good.write_text(
        "gss_code,name,kind,nation,parent_gss_code,parent_name\n"
        "S12000033,Aberdeen City,Scottish council,Scotland,,\n"
    )
    result = runner.invoke(args=["import-councils", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 added, 0 updated, 0 unchanged" in result.output

    bad = tmp_path / "bad.csv"
    bad.write_text("gss_code,name,kind,nation,parent_gss_code,parent_name\nX,,,,,\n")
    result = runner.invoke(args=["import-councils", str(bad)])
    assert result.exit_code != 0
    assert "Nothing was imported" in result.output
    assert "is not a GSS code" in result.output


def test_import_councils_with_no_file_loads_every_uk_council(runner):
    """A new service, or one upgraded from England and Wales only: the files the app carries
    give every UK council, Scotland's and Northern Ireland's with the rest; run again, nothing
    changes."""
    result = runner.invoke(args=["import-councils"])
    assert result.exit_code == 0, result.output
    assert "417 added, 0 updated, 0 unchanged" in result.output

    def in_nation(nation: Nation) -> int:
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(Council).where(Council.nation == nation)
        )

    assert (in_nation(Nation.SCOTLAND), in_nation(Nation.NORTHERN_IRELAND)) == (32, 11)
    again = runner.invoke(args=["import-councils"])
    assert "0 added, 0 updated, 417 unchanged" in again.output


def test_send_mail_sends_the_queue(runner, make):
    from marks import mail

    user = make.user()
    email = mail.queue(user.email, "password_changed", user=user)
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0
    assert "1 sent, 0 failed" in result.output
    db.session.refresh(email)
    assert email.state == EmailState.SENT
    assert db.session.scalar(sa.select(sa.func.count(Email.id))) == 1
