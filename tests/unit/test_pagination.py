"""The one pagination every list uses (register, councils, people, audit log, outbox)."""

from __future__ import annotations

from marks.presentation import pagination


def href(number: int) -> str:
    return f"/list?page={number}"


def test_one_page_needs_no_pagination():
    assert pagination(1, 1, href) is None
    assert pagination(1, 0, href) is None


def test_the_first_the_last_and_two_either_side():
    found = pagination(10, 20, href)
    shown = [item.get("number", "…") for item in found["items"]]
    assert shown == [1, "…", 8, 9, 10, 11, 12, "…", 20]
    assert [i["number"] for i in found["items"] if i.get("current")] == [10]
    assert found["previous"] == {"href": "/list?page=9"}
    assert found["next"] == {"href": "/list?page=11"}


def test_no_previous_on_the_first_page_and_no_next_on_the_last():
    first, last = pagination(1, 3, href), pagination(3, 3, href)
    assert first["previous"] is None and first["next"] == {"href": "/list?page=2"}
    assert last["next"] is None and last["previous"] == {"href": "/list?page=2"}
    assert [i["number"] for i in first["items"]] == [1, 2, 3]  # no ellipsis between neighbours
