"""Sharing answers with the library of good practice, through the pages: the council's lead
offers them (marks/council/practice.py), the administrators publish or return them
(marks/admin/practice.py), the council's leads are told by email; each kind of person sees
what is theirs to see, and nothing typed reaches a page or an email as markup."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marks import workflow
from marks.awarding import awards
from marks.extensions import db
from marks.models import Email, PracticeExample
from marks.practice import examples
from marks.states import MembershipRole, PracticeState
from tests.helpers.practice import evidence
from tests.hostile import assert_no_injection, assert_shown, combined, long_text
from tests.pages import signed_in


@pytest.fixture
def lead(award):
    return award.application.started_by


def _pages(award) -> tuple[str, str]:
    base = f"/apply/applications/{award.application_id}/practice"
    return base, base + "/"


def _answer(award, index: int = 0):
    return sorted(award.application.answers, key=lambda a: a.criterion.position)[index]


def _example(answer) -> PracticeExample | None:
    return db.session.scalar(
        sa.select(PracticeExample).where(PracticeExample.answer_id == answer.id)
    )


def _emails(template: str) -> list[Email]:
    return list(db.session.scalars(sa.select(Email).where(Email.template == template)))


def test_the_home_page_leads_the_lead_to_share_the_award_s_answers(app, award, lead):
    client = signed_in(app, lead)
    page = client.get("/apply/")
    link = page.soup.find("a", string="Share your answers with other councils")
    assert link["href"] == f"/apply/applications/{award.application_id}/practice"


def test_the_lead_offers_every_answer_not_yet_shared_with_one_note(app, award, lead):
    practice, _ = _pages(award)
    client = signed_in(app, lead)
    page = client.get(practice)
    assert page.h1 == "Share your answers with other councils"
    boxes = page.soup.select("input[name=answers]")
    assert len(boxes) == len(award.application.answers)
    assert all(box.has_attr("checked") for box in boxes)  # all ticked to start with
    assert "Not shared" in page.text

    first, second = _answer(award, 0), _answer(award, 1)
    response = client.submit(
        practice,
        {
            "answers": [str(first.id), str(second.id)],
            "note": "Start with the comms team",
            "contact": "digital@council.gov.uk",
        },
    )
    assert response.status_code == 302
    offered = [_example(first), _example(second)]
    assert [e.state for e in offered] == [PracticeState.OFFERED] * 2
    assert {(e.note, e.contact) for e in offered} == {
        ("Start with the comms team", "digital@council.gov.uk")
    }
    page = client.get(practice)
    assert "Your 2 answers have been offered" in page.text
    assert page.text.count("Waiting for review") == 2
    # The two shared are no longer offered; the rest still are.
    assert len(page.soup.select("input[name=answers]")) == len(award.application.answers) - 2


def test_offering_none_says_to_select_some(app, award, lead):
    practice, _ = _pages(award)
    page = signed_in(app, lead).submit(practice, {"note": "kept"})
    assert page.status_code == 200
    assert page.error_summary() == ["Select the answers to offer"]
    assert page.field_value("note") == "kept"


def test_one_answer_with_a_file_picked_and_a_note_too_long_shown_again(app, award, lead):
    _, answer_page = _pages(award)
    answer = _answer(award)
    picked, other = evidence(answer, "plan.pdf"), evidence(answer, "minutes.pdf")
    url = answer_page + answer.criterion.code
    client = signed_in(app, lead)
    page = client.get(url)
    assert "Evidence files are never published unless you pick them" in page.text
    assert page.soup.find("button", string=lambda s: s and "Offer this answer" in s)

    too_long = long_text(examples.NOTE_MAX + 1)
    page = client.submit(url, {"files": [str(picked.id)], "note": too_long, "contact": "x"})
    assert page.status_code == 200
    assert page.error_summary() == ["The note must be 2,000 characters or fewer"]
    assert page.soup.find("textarea", attrs={"name": "note"}).text.strip() == too_long.strip()
    assert page.soup.find("input", attrs={"value": str(picked.id)}).has_attr("checked")
    assert _example(answer) is None

    response = client.submit(url, {"files": [str(picked.id)], "note": "Short", "contact": "x"})
    assert response.status_code == 302
    example = _example(answer)
    assert [f.id for f in example.files] == [picked.id]
    assert other not in example.files
    # Waiting for review: its button saves changes.
    page = client.get(url)
    assert page.soup.find("button", string=lambda s: s and "Save changes" in s)


def test_a_file_of_another_answer_is_refused(app, award, lead, make):
    _, answer_page = _pages(award)
    answer, elsewhere = _answer(award, 0), _answer(award, 1)
    foreign = evidence(elsewhere, "theirs.pdf")
    other_award = make.award()
    other_file = evidence(_answer(other_award), "another-council.pdf")
    client = signed_in(app, lead)
    for forged in (foreign, other_file):
        page = client.submit(answer_page + answer.criterion.code, {"files": [str(forged.id)]})
        assert page.status_code == 200
        assert page.error_summary() == ["Select only files of this answer"]
    assert _example(answer) is None


def test_another_application_s_criterion_or_award_is_not_found(app, award, lead, make):
    other = make.award()
    client = signed_in(app, lead)
    assert client.get(f"/apply/applications/{other.application_id}/practice").status_code == 404
    _, answer_page = _pages(award)
    assert client.get(answer_page + "NOPE").status_code == 404


def test_offering_without_the_csrf_token_is_refused(app, award, lead):
    practice, _ = _pages(award)
    client = signed_in(app, lead)
    response = client.post(practice, data={"answers": [str(_answer(award).id)]})
    assert response.status_code == 400
    assert _example(_answer(award)) is None


def test_a_member_sees_the_states_but_may_not_offer(app, award, lead, make):
    (example,) = examples.offer(award, [_answer(award)], actor=lead)
    member = make.member(council=award.council, role=MembershipRole.MEMBER)
    practice, answer_page = _pages(award)
    client = signed_in(app, member)
    page = client.get(practice)
    assert "Waiting for review" in page.text
    assert "Only your council's lead can share its answers" in page.text
    assert page.soup.select("input[name=answers]") == []
    page = client.get(answer_page + example.answer.criterion.code)
    assert page.soup.find("button", string=lambda s: s and "Withdraw" in s) is None
    response = client.post(
        practice, data={"csrf_token": client.csrf_token(), "answers": [str(_answer(award, 1).id)]}
    )
    assert response.status_code == 200
    assert _example(_answer(award, 1)) is None


def test_a_revoked_award_s_answers_are_offered_no_more(app, award, lead, admin):
    awards.revoke(award, actor=admin, reason="Misconduct")
    practice, _ = _pages(award)
    client = signed_in(app, lead)
    assert "Share your answers" not in client.get("/apply/").text
    page = client.get(practice)
    assert "This award has been revoked" in page.text
    assert page.soup.select("input[name=answers]") == []


def test_the_administrator_publishes_and_the_leads_are_told(app, award, lead, admin):
    (example,) = examples.offer(award, [_answer(award)], actor=lead, note="Our note")
    client = signed_in(app, admin)
    assert "1 waiting for review" in client.get("/admin/").text
    listing = client.get("/admin/practice")
    assert award.council.name in listing.text
    assert "Waiting for review" in listing.text

    url = f"/admin/practice/{example.id}"
    page = client.get(url)
    assert "Our note" in page.text
    response = client.submit(url, {"publish": "Publish"}, form=page_form(page, "Publish"))
    assert response.status_code == 302
    assert example.state == PracticeState.PUBLISHED
    (email,) = _emails("practice_published")
    assert email.to_address == lead.email
    assert f"/apply/applications/{award.application_id}/practice" in email.body_text
    assert f"/practice/{example.id}\n" in email.body_text  # where other councils read it
    page = client.get(url)
    assert page.soup.find("a", string="See it in the library")["href"] == f"/practice/{example.id}"
    assert client.get(f"/practice/{example.id}").status_code == 200
    assert client.get("/admin/practice?state=published").text.count(award.council.name) >= 1


def test_returning_needs_a_reason_which_the_council_reads(app, award, lead, admin):
    (example,) = examples.offer(award, [_answer(award)], actor=lead)
    client = signed_in(app, admin)
    url = f"/admin/practice/{example.id}"
    page = client.get(url)
    which = page_form(page, "Return to the council")
    page = client.submit(url, {"send_back": "Return to the council"}, form=which)
    assert page.status_code == 200
    assert page.error_summary() == ["Enter why you are returning it"]
    assert example.state == PracticeState.OFFERED

    response = client.submit(
        url, {"send_back": "x", "reason": "Take out the officer's name"}, form=which
    )
    assert response.status_code == 302
    assert example.state == PracticeState.RETURNED
    (email,) = _emails("practice_returned")
    assert "Take out the officer's name" in email.body_text
    code = example.answer.criterion.code
    assert f"/practice/{code}" in email.body_text

    council = signed_in(app, lead)
    practice, answer_page = _pages(award)
    assert "Take out the officer's name" in council.get(practice).text
    page = council.get(answer_page + code)
    assert "Take out the officer's name" in page.text
    assert page.soup.find("button", string=lambda s: s and "Offer it again" in s)
    assert council.submit(answer_page + code, {"note": "Better"}).status_code == 302
    assert (example.state, example.note) == (PracticeState.OFFERED, "Better")


def test_a_published_example_is_taken_down_by_returning_it(app, award, lead, admin):
    (example,) = examples.offer(award, [_answer(award)], actor=lead)
    workflow.transition(example, "publish", actor=admin)
    client = signed_in(app, admin)
    url = f"/admin/practice/{example.id}"
    page = client.get(url)
    assert "Take it down" in page.text
    assert page_form(page, "Publish", missing=True) is None
    client.submit(url, {"send_back": "x", "reason": "Out of date"}, form=page_form(page, "Return"))
    assert (example.state, example.published_at) == (PracticeState.RETURNED, None)


def test_the_lead_withdraws_a_published_example_and_it_is_gone(app, award, lead, admin):
    (example,) = examples.offer(award, [_answer(award)], actor=lead)
    workflow.transition(example, "publish", actor=admin)
    code = example.answer.criterion.code
    practice, answer_page = _pages(award)
    client = signed_in(app, lead)
    page = client.get(answer_page + code)
    assert "gone from the library at once" in page.text
    assert page.soup.find("button", string=lambda s: s and "Offer" in s) is None  # published
    response = client.submit(answer_page + code, {}, form=page_form(page, "Withdraw"))
    assert response.status_code == 302
    assert (example.state, example.published_at) == (PracticeState.WITHDRAWN, None)
    assert "it is gone from the library" in client.get(practice).text


def test_withdrawing_without_the_csrf_token_is_refused(app, award, lead):
    (example,) = examples.offer(award, [_answer(award)], actor=lead)
    _, answer_page = _pages(award)
    client = signed_in(app, lead)
    response = client.post(answer_page + example.answer.criterion.code + "/withdraw")
    assert response.status_code == 400
    assert example.state == PracticeState.OFFERED


@pytest.mark.parametrize("who", ["member", "other_lead", "administrator"])
def test_only_the_lead_withdraws(app, award, lead, make, who):
    (example,) = examples.offer(award, [_answer(award)], actor=lead)
    person = {
        "member": lambda: make.member(council=award.council, role=MembershipRole.MEMBER),
        "other_lead": lambda: make.member(role=MembershipRole.LEAD),
        "administrator": make.administrator,
    }[who]()
    client = signed_in(app, person)
    _, answer_page = _pages(award)
    url = answer_page + example.answer.criterion.code + "/withdraw"
    response = client.post(url, data={"csrf_token": client.csrf_token()})
    assert response.status_code in (302, 404)
    assert example.state == PracticeState.OFFERED


def test_hostile_text_stays_text_on_every_page_and_in_the_emails(app, award, lead, admin):
    answer = _answer(award)
    answer.narrative = combined()
    note, contact = combined()[: examples.NOTE_MAX], "<script>alert(1)</script>@x.gov.uk"
    (example,) = examples.offer(award, [answer], actor=lead, note=note, contact=contact)
    db.session.flush()
    council = signed_in(app, lead)
    _, answer_page = _pages(award)
    staff = signed_in(app, admin)
    for client, url in [
        (council, answer_page + answer.criterion.code),
        (staff, f"/admin/practice/{example.id}"),
    ]:
        page = client.get(url)
        assert_no_injection(page.soup.find("main"), url)
        shown = page.soup.find("main").get_text()  # a link's text runs on into the line's
        for text in (combined(), contact):
            for line in text.splitlines():
                if line.strip():
                    assert_shown(line, shown, url)
    workflow.transition(example, "return", actor=admin, reason=combined())
    (email,) = _emails("practice_returned")
    assert "<script>alert('XSS')</script>" in email.body_text  # plain text, as typed
    assert email.body_html is None
    page = council.get(answer_page + answer.criterion.code)
    assert_no_injection(page.soup.find("main"), "the reason on the council's page")


def page_form(page, button: str, *, missing: bool = False) -> int | None:
    """The index of the page's form (among all its forms) with a button that starts `button`."""
    for index, form in enumerate(page.soup.find_all("form")):
        if any(b.text.strip().startswith(button) for b in form.find_all("button")):
            return index
    assert missing, f"no form with a {button!r} button"
    return None
