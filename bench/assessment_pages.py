"""Server time of the assessor's scoring page and the administrator's moderation page, for an
edition of 15 criteria scored by 2 assessors (issue 4's target: under 50 ms each).

Builds a fresh database: the demo edition with three more criteria (15 in all), a complete
application, two assessors (one still scoring, with a draft saved; one submitted, so that the
moderation page has both sides once the first submits too). Then times whole GET requests
through the Flask app.

    .venv/bin/python bench/assessment_pages.py [--runs 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import copy
import re
import statistics
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade

from marks import create_app
from marks.applying import applications
from marks.assessing import assessment
from marks.extensions import close_connections, db
from marks.people import two_factor, users
from marks.scheme import editions
from marks.states import MembershipRole, Recommendation, UserRole

PASSWORD = "bench-password"  # noqa: S105 (a throwaway database)
TWO_FACTOR_KEY = two_factor.new_key()  # the staff's, in this throwaway database


def fifteen_criteria() -> dict:
    data = editions.read_file(editions.DEMO_EDITION)
    data = copy.deepcopy(data)
    data["edition"]["code"] = "bench"
    for theme in data["themes"]:
        extra = copy.deepcopy(theme["criteria"][0])
        extra["code"] = extra["code"][:2] + "9"
        extra["title"] += " (again)"
        theme["criteria"].append(extra)
    return data


def build(app) -> tuple[int, int]:
    from marks import workflow
    from marks.models import utcnow
    from marks.people import council_imports

    with app.app_context():
        upgrade()
        council_imports.import_file(council_imports.ENGLAND_AND_WALES)
        edition = editions.build(fifteen_criteria())
        edition.state, edition.published_at = "published", utcnow()
        db.session.add(edition)
        db.session.flush()
        assert len(edition.criteria) == 15
        admin = users.create_user(
            "a@x.org", "Admin", PASSWORD, role=UserRole.ADMINISTRATOR, confirmed=True
        )
        two_factor.enrol(admin, TWO_FACTOR_KEY, actor=None)
        lead = users.create_user("l@x.gov.uk", "Lead", PASSWORD, confirmed=True)
        from marks.seed import demo

        users.add_to_council(lead, demo.council("E06000001"), MembershipRole.LEAD, actor=None)
        application = applications.start(lead.membership.council, actor=lead)
        applications.save_about(
            application,
            actor=lead,
            contact_name="L",
            contact_email="l@x.gov.uk",
            website="https://x.gov.uk",
            social_accounts="https://x.com/x",
        )
        for answer in application.answers:
            applications.save_answer(
                answer,
                version=answer.version,
                actor=lead,
                self_score=3,
                narrative="We do this well. " * 60,
                links=["https://x.gov.uk/a", "https://x.gov.uk/b"],
            )
        applications.submit(application, actor=lead, declaration_name="Lead")
        made = []
        for i in range(2):
            assessor = users.create_user(
                f"s{i}@x.org", f"Assessor {i}", PASSWORD, role=UserRole.ASSESSOR, confirmed=True
            )
            two_factor.enrol(assessor, TWO_FACTOR_KEY, actor=None)
            assignment = assessment.assign(application, assessor, actor=admin)
            mine = assignment.assessment
            assessment.save(
                mine,
                version=mine.version,
                actor=assessor,
                scores={
                    c.code: assessment.CriterionScore(3 + i % 2, "Feedback " * 40, "Note " * 20)
                    for c in edition.criteria
                },
                recommendation=Recommendation.AWARD,
                summary="Summary",
            )
            made.append(assignment)
        assessment.submit(made[1].assessment, actor=made[1].assessor)
        db.session.commit()
        scoring_id, application_id = made[0].id, application.id
        # A second, identical application ready for decision, for the moderation page.
        workflow  # noqa: B018 (imported for its side effects in assessment)
        return scoring_id, application_id


def sign_in(client, email: str) -> None:
    """The password, then the code from the staff's key (each person signs in once)."""
    html = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    client.post("/sign-in", data={"csrf_token": token, "email": email, "password": PASSWORD})
    code = two_factor.code_for(TWO_FACTOR_KEY)
    response = client.post("/sign-in/code", data={"csrf_token": token, "code": code})
    assert response.status_code == 302, f"{email}: the code was refused"


def timed(client, url: str, runs: int) -> list[float]:
    assert client.get(url).status_code == 200, url
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return sorted(timings)


def report(name: str, timings: list[float]) -> None:
    print(
        f"{name}, {len(timings)} runs (ms): median {statistics.median(timings):.1f}, "
        f"p90 {timings[int(len(timings) * 0.9)]:.1f}, max {timings[-1]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        database_url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SECRET_KEY": "bench",
                "RATELIMIT_STORAGE_URI": "memory://",
                "MAIL_BACKEND": "smtp",
            }
        )
        scoring_id, application_id = build(app)
        print(f"database: {database_url.split(':')[0]}; 15 criteria x 2 assessors")
        assessor = app.test_client()
        sign_in(assessor, "s0@x.org")
        report("assessor scoring page", timed(assessor, f"/assess/{scoring_id}", args.runs))

        # The first assessor submits: the application is ready for decision.
        with app.app_context():
            from marks.models import Assignment

            assignment = db.session.get(Assignment, scoring_id)
            assessment.submit(assignment.assessment, actor=assignment.assessor)
            db.session.commit()
        admin = app.test_client()
        sign_in(admin, "a@x.org")
        report("moderation page", timed(admin, f"/admin/applications/{application_id}", args.runs))
        report(
            "decision page",
            timed(admin, f"/admin/applications/{application_id}/decision", args.runs),
        )
        with app.app_context():
            close_connections()


if __name__ == "__main__":
    main()
