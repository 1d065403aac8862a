"""The database and the data of bench/load.py: a PostgreSQL database of its own, the app that
builds it (migrations, the demo data, the data set of seed-scale), the people of the load
(council members with draft applications, assessors with assignments) and the public's
addresses (register pages, council pages, certificates), as plain values for the traffic; and
what the database holds for everything the load writes, to check it against afterwards."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from marks import create_app
from marks.applying import applications
from marks.assessing import assessment
from marks.awarding import awards
from marks.config import database_url as driver_url
from marks.extensions import close_connections, db
from marks.models import Answer, Application, Assessment, Award, Council, Criterion, Membership
from marks.people import two_factor, users
from marks.register import search
from marks.scheme import editions
from marks.seed import demo, scale
from marks.states import AwardState, CouncilKind, MembershipRole, Nation, UserRole

SERVER = "postgresql://postgres@127.0.0.1:5432/"
DATABASE = "marks_load"
# Who takes part: readers and downloaders are anonymous; each council has two members working
# on the same section; each assessor works in two windows on the same two applications.
READERS, DOWNLOADERS, MEMBER_COUNCILS, ASSESSORS = 6, 2, 2, 2
# The load's assessors' two-factor key (a new one each run: never the demo's, refused under
# production settings); the traffic makes their codes from it.
TWO_FACTOR_KEY = two_factor.new_key()
ASSESSED_APPLICATIONS = 2
CERTIFICATES = 24  # of the data set's awards, besides the demo's, whose PDFs are downloaded
NOT_A_CERTIFICATE = "SMFM-1999-00001"


@contextmanager
def database_of_our_own(name: str) -> Iterator[str]:
    server = sa.create_engine(driver_url(SERVER + "postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield SERVER + name
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def setup_app(url: str) -> Flask:
    """The app in this process, to build the data and check it afterwards (never serving)."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": driver_url(url),
            "SECRET_KEY": "load-setup",
            "RATELIMIT_STORAGE_URI": "memory://",
            "CACHE_TYPE": "NullCache",
            "MAIL_BACKEND": "log",
        }
    )
    logging.getLogger().setLevel(logging.WARNING)
    return app


def prepare(app: Flask, councils: int, rng: random.Random) -> dict:
    """Migrate, load the demo data and the data set, add the people of the load; return the
    world the traffic needs (plain values: it crosses to the generator's processes)."""
    with app.app_context():
        upgrade()
        demo.seed()
        started = time.perf_counter()
        added = scale.seed(councils)
        took = time.perf_counter() - started
        print(f"seed-scale --councils {councils}: {added} councils added in {took:.0f} s")
        world = {
            "password": demo.PASSWORD,
            "two_factor_key": TWO_FACTOR_KEY,
            **_people(),
            **_public(rng),
            "not_a_certificate": NOT_A_CERTIFICATE,
        }
        db.session.commit()
        world["initial"] = stored_writes(world)
        db.session.remove()
        close_connections()
    return world


def _people() -> dict:
    """Council members with draft applications, and assessors with assignments."""
    admin = users.find_user("admin@example.org")
    edition = editions.current()
    free = db.session.scalars(
        sa.select(Council)
        .where(
            Council.nation.in_([Nation.ENGLAND, Nation.WALES]),
            ~sa.exists().where(Application.council_id == Council.id),
            ~sa.exists().where(Membership.council_id == Council.id),
        )
        .order_by(Council.gss_code)
        .limit(MEMBER_COUNCILS + ASSESSED_APPLICATIONS)
    ).all()
    members = []
    for i, council in enumerate(free[:MEMBER_COUNCILS]):
        lead = _person(f"load-lead-{i}", council, MembershipRole.LEAD)
        colleague = _person(f"load-member-{i}", council, MembershipRole.MEMBER)
        application = applications.start(council, actor=lead)
        theme = edition.themes[i % len(edition.themes)]
        for who in (lead, colleague):
            members.append(
                {
                    "email": who.email,
                    "application_id": application.id,
                    "codes": [c.code for c in theme.criteria],
                }
            )
    submitted = [_submitted(i, council) for i, council in enumerate(free[MEMBER_COUNCILS:])]
    assessors = []
    for i in range(ASSESSORS):
        user = users.create_user(
            f"load-assessor-{i}@example.org",
            f"Load Assessor {i}",
            demo.PASSWORD,
            role=UserRole.ASSESSOR,
            confirmed=True,
        )
        two_factor.enrol(user, TWO_FACTOR_KEY, actor=None)
        ids = [assessment.assign(a, user, actor=admin).id for a in submitted]
        assessors.append(
            {"email": user.email, "assignments": ids, "codes": [c.code for c in edition.criteria]}
        )
    return {"members": members, "assessors": assessors}


def _person(name: str, council: Council, role: MembershipRole):
    user = users.create_user(
        f"{name}@example.gov.uk", name.replace("-", " ").title(), demo.PASSWORD, confirmed=True
    )
    users.add_to_council(user, council, role, actor=None)
    return user


def _submitted(i: int, council: Council) -> Application:
    lead = _person(f"load-applicant-{i}", council, MembershipRole.LEAD)
    application = applications.start(council, actor=lead)
    applications.save_about(
        application,
        actor=lead,
        contact_name=lead.full_name,
        contact_email=lead.email,
        website="https://www.example.gov.uk",
        social_accounts="https://x.com/example",
    )
    for answer in applications.ordered_answers(application):
        applications.save_answer(
            answer,
            version=answer.version,
            actor=lead,
            self_score=3,
            narrative=f"{council.name}: {answer.criterion.title.lower()}, every day.",
            links=["https://www.example.gov.uk/social-media"],
        )
    applications.submit(application, actor=lead, declaration_name=lead.full_name)
    return application


def _public(rng: random.Random) -> dict:
    """Register addresses (each page number within its results), council pages, awards."""
    awards_ = db.session.execute(
        sa.select(Award.id, Award.certificate_number, Award.state).order_by(Award.id)
    ).all()
    demo_councils = sa.select(Council.id).where(Council.gss_code.in_(demo.APPLICATIONS))
    shown = set(db.session.scalars(sa.select(Award.id).where(Award.council_id.in_(demo_councils))))
    shown |= {a.id for a in rng.sample(awards_, min(CERTIFICATES, len(awards_)))}
    # Made as the scheme makes them when it issues an award (seed-scale writes awards directly).
    awards.store_certificates(sorted(shown))
    codes = db.session.scalars(sa.select(Council.gss_code).order_by(Council.id)).all()
    return {
        "register": _register_addresses(rng),
        "council_pages": [f"/councils/{code}" for code in rng.sample(codes, min(300, len(codes)))],
        "certificates": [
            {"number": number, "revoked": state == AwardState.REVOKED}
            for award_id, number, state in awards_
            if award_id in shown
        ],
    }


def _register_addresses(rng: random.Random) -> dict[str, list[str]]:
    levels = [code for code, _ in search.levels()]
    years = search.award_years()
    words = [p.lower() for p in scale.PLACES] + ["upper", "st", "borough", "york", "hartlepool"]
    statuses = search.STATUS_FILTERS
    found: dict[str, list[str]] = {"register": [], "register: search": [], "register: filters": []}
    for label, count in (("register", 30), ("register: search", 80), ("register: filters", 80)):
        while len(found[label]) < count:
            args: dict[str, object] = {}
            if label == "register":
                args["sort"] = rng.choice(search.SORTS)
            elif label == "register: search":
                args["q"] = rng.choice(words)
                if rng.random() < 0.3:
                    args["q"] = f"{args['q']} {rng.randint(1, 300)}"
                if rng.random() < 0.3:
                    args["status"] = rng.choice(statuses)
            else:
                choices = {
                    "nation": [n.value for n in Nation],
                    "kind": [k.value for k in CouncilKind],
                    "level": levels,
                    "status": statuses,
                    "year": years,
                    "sort": search.SORTS,
                }
                for name in rng.sample(sorted(choices), rng.randint(1, 3)):
                    args[name] = rng.choice(choices[name])
            filters = search.Filters.parse({k: str(v) for k, v in args.items()})
            pages = max(1, -(-search.count(filters, search.today()) // search.PAGE_SIZE))
            page = rng.randint(1, min(pages, 40))
            if page > 1:
                args["page"] = page
            found[label].append(f"/register?{urlencode(args)}" if args else "/register")
    return found


def stored_writes(world: dict) -> dict[str, dict]:
    """What the database holds for everything the load writes: answers and assessments."""
    application_ids = {m["application_id"] for m in world["members"]}
    assignment_ids = {i for a in world["assessors"] for i in a["assignments"]}
    found = {}
    for answer, code in db.session.execute(
        sa.select(Answer, Criterion.code)
        .join(Criterion, Criterion.id == Answer.criterion_id)
        .where(Answer.application_id.in_(application_ids))
    ):
        found[f"answer {answer.application_id}/{code}"] = {
            "version": answer.version,
            "text": answer.narrative,
            "score": answer.self_score,
            "links": [link.url for link in answer.links],
        }
    for mine in db.session.scalars(
        sa.select(Assessment).where(Assessment.assignment_id.in_(assignment_ids))
    ):
        found[f"assessment {mine.assignment_id}"] = {
            "version": mine.version,
            "text": mine.summary,
            "recommendation": mine.recommendation and mine.recommendation.value,
            "scores": {code: s.score for code, s in assessment.scores_by_code(mine).items()},
            "feedback": {code: s.feedback for code, s in assessment.scores_by_code(mine).items()},
        }
    return found
