"""The demo edition, loaded from its data file."""

from __future__ import annotations

import tomllib
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marks import workflow
from marks.extensions import db
from marks.models import AuditEvent
from marks.scheme import edition_drafts, editions
from marks.states import EditionState


def test_the_demo_edition_has_the_schemes_three_themes(make):
    edition = make.demo_edition()
    assert edition.state == EditionState.PUBLISHED
    assert edition.published_at is not None
    assert [t.title for t in edition.themes] == [
        "Myths debunked",
        "Engagement",
        "Staff empowerment",
    ]
    assert 10 <= len(edition.criteria) <= 15
    assert [lv.name for lv in edition.levels] == ["Accredited", "Accredited with distinction"]
    assert [lv.min_percent for lv in edition.levels] == [60, 85]
    assert edition.scale_labels[0] == "Not in place"
    assert edition.scale_max == 4
    assert edition.validity_months == 24


def test_every_criterion_has_guidance_evidence_a_weight_and_a_full_rubric(make):
    edition = make.demo_edition()
    codes = [c.code for c in edition.criteria]
    assert len(set(codes)) == len(codes)
    for criterion in edition.criteria:
        assert criterion.guidance and criterion.question
        assert criterion.expected_evidence
        assert criterion.weight > Decimal(0)
        assert [d.score for d in criterion.descriptors] == [0, 1, 2, 3, 4]
        assert all(d.descriptor for d in criterion.descriptors)


def test_current_edition_is_the_latest_published_one(make):
    assert editions.current() is None
    draft = make.demo_edition(publish=False)
    assert editions.current() is None
    draft.state = EditionState.PUBLISHED
    from marks.models import utcnow

    draft.published_at = utcnow()
    assert editions.current() == draft


def test_a_file_in_another_format_is_refused(tmp_path):
    path = tmp_path / "edition.toml"
    path.write_text("format = 2\n")
    with pytest.raises(editions.EditionFileError, match="format must be 1"):
        editions.read_file(path)


def test_a_rubric_with_a_missing_descriptor_is_refused():
    with editions.DEMO_EDITION.open("rb") as stream:
        data = tomllib.load(stream)
    data["themes"][0]["criteria"][0]["rubric"].pop()
    with pytest.raises(editions.EditionFileError, match="one rubric descriptor per point"):
        editions.build(data)


# --- Publishing: editions.EDITION -------------------------------------------------------------


def _events(edition) -> list[tuple[str, str | None, str | None]]:
    return [
        (e.action, e.from_state, e.to_state)
        for e in db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.subject_type == "Edition", AuditEvent.subject_id == edition.id)
            .order_by(AuditEvent.id)
        )
    ]


def test_loading_and_publishing_an_edition_records_both(make):
    edition = make.demo_edition()
    assert _events(edition) == [
        ("edition.loaded", None, "draft"),
        ("edition.published", "draft", "published"),
    ]


def test_only_an_administrator_publishes_a_complete_draft(make):
    published = make.demo_edition()
    draft = editions.clone(published, "2027", 2027, actor=None)
    admin = make.administrator()
    assert workflow.available(draft, make.member()) == []
    assert workflow.available(draft, admin) == ["publish"]
    with pytest.raises(editions.EditionRefused, match="You may not publish"):
        editions.publish(draft, actor=make.assessor())
    draft.pass_mark = 0
    with pytest.raises(editions.EditionRefused, match=r"^The pass mark must be between"):
        editions.publish(draft, actor=admin)
    draft.pass_mark = 60
    editions.publish(draft, actor=admin)
    assert draft.state == EditionState.PUBLISHED and draft.published_at is not None
    assert _events(draft)[-1] == ("edition.published", "draft", "published")
    with pytest.raises(editions.EditionRefused, match=r"^A published edition cannot change"):
        editions.publish(draft, actor=admin)


# --- A draft's themes and criteria: marks.scheme.edition_drafts ----------------------------------


def test_a_draft_takes_themes_and_criteria_with_good_codes_and_loses_empty_themes(make):
    published = make.demo_edition()
    draft = editions.clone(published, "2027", 2027, actor=None)
    with pytest.raises(editions.EditionRefused, match=r"^The code must be 20 characters or fewer"):
        edition_drafts.add_criterion(draft.themes[0], actor=None, code="X" * 21, title="T")
    with pytest.raises(editions.EditionRefused, match=r"^The code can only have letters"):
        edition_drafts.add_theme(draft, actor=None, code="our impact", title="Impact")
    theme = edition_drafts.add_theme(
        draft, actor=None, code=" impact ", title="Impact", summary="One\r\ntwo"
    )
    assert (theme.code, theme.summary, theme.position) == ("impact", "One\ntwo", 4)
    criterion = edition_drafts.add_criterion(theme, actor=None, code="MI1", title="Measured")
    assert edition_drafts.why_not_remove_theme(theme) == "Impact has 1 criterion: remove it first"
    with pytest.raises(editions.EditionRefused, match=r"^Impact has 1 criterion: remove it first$"):
        edition_drafts.remove_theme(theme, actor=None)
    edition_drafts.remove_criterion(criterion, actor=None)
    edition_drafts.remove_theme(theme, actor=None)
    assert [t.code for t in draft.themes] == ["myths-debunked", "engagement", "staff-empowerment"]
    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.action.like("edition.%ed"), AuditEvent.action != "edition.published")
        .order_by(AuditEvent.id)
    ).all()
    assert actions[-4:] == [
        "edition.theme_added",
        "edition.criterion_added",
        "edition.criterion_removed",
        "edition.theme_removed",
    ]
    with pytest.raises(editions.EditionRefused, match=r"^A published edition cannot change"):
        edition_drafts.remove_theme(published.themes[0], actor=None)
