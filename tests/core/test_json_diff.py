"""Comparing two responses as data, against a sandbox of its own over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from explorer.core.json_diff import VOLATILE, Change, ChangeKind, diff, path_text, summarize


@pytest.fixture
def api(fresh_sandbox: Any) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Token {fresh_sandbox.token}"}
    with httpx.Client(base_url=fresh_sandbox.base_url, headers=headers, timeout=10) as client:
        yield client


def test_two_pages_differ_in_exactly_the_values_that_changed(api: httpx.Client) -> None:
    before = api.get("/api/v2/contacts.json").json()
    first = before["results"][0]
    answer = api.post(
        "/api/v2/contacts.json", params={"uuid": first["uuid"]}, json={"name": "Renamed Person"}
    )
    assert answer.status_code == 200, answer.text
    after = api.get("/api/v2/contacts.json").json()
    changes = diff(before, after, ignore=VOLATILE)
    assert changes == [
        Change(("results", 0, "name"), ChangeKind.CHANGED, first["name"], "Renamed Person")
    ]
    assert changes[0].where == "results[0].name"
    # With the volatile fields shown, its modified_on changed too, and nothing else.
    everything = diff(before, after)
    assert {c.where for c in everything} == {"results[0].name", "results[0].modified_on"}
    assert str(summarize(everything)) == "2 changed."


def test_records_are_matched_by_uuid_not_by_position() -> None:
    a = {"uuid": "a", "name": "Ann"}
    b = {"uuid": "b", "name": "Ben"}
    c = {"uuid": "c", "name": "Cy"}
    changes = diff({"results": [a, b]}, {"results": [c, a, {**b, "name": "Bob"}]})
    assert [(c.where, c.kind) for c in changes] == [
        ("results[2].name", ChangeKind.CHANGED),
        ("results[0]", ChangeKind.ADDED),
    ]
    gone = diff([a, b], [b])
    assert [(c.where, c.kind, c.old) for c in gone] == [("[0]", ChangeKind.REMOVED, a)]


def test_keys_added_removed_and_values_of_another_type() -> None:
    changes = diff({"a": 1, "b": [1, 2], "c": True}, {"a": "1", "b": [1], "d": None, "c": 1})
    assert [(c.where, c.kind) for c in changes] == [
        ("a", ChangeKind.CHANGED),
        ("b[1]", ChangeKind.REMOVED),
        ("c", ChangeKind.CHANGED),
        ("d", ChangeKind.ADDED),
    ]
    assert diff({"x": {"modified_on": 1}}, {"x": {"modified_on": 2}}, ignore=VOLATILE) == []
    assert path_text(()) == "(the whole body)"
    assert str(summarize([])) == "No differences."
