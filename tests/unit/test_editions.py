"""The demo edition, loaded from its data file."""

from __future__ import annotations

import tomllib
from decimal import Decimal

import pytest

from marks import editions
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
