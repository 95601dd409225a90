"""The response filter on real sandbox pages: presets, reshaping and errors with positions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from explorer.core.response_filter import (
    FilterError,
    apply,
    compile_filter,
    presets_for,
    records_of,
    result_bytes,
)


@pytest.fixture
def api(sandbox: Any) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Token {sandbox.token}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=10) as client:
        yield client


def preset(endpoint: str) -> str:
    (only,) = presets_for(endpoint)
    return only.expression


def test_the_runs_preset_gives_one_row_per_run_and_result(api: httpx.Client) -> None:
    page = api.get("/api/v2/runs.json").json()
    rows = apply(preset("runs"), page)
    expected = [(run["uuid"], key) for run in page["results"] for key in run["values"]]
    # Some runs have several results, some none: rows follow results, not runs.
    assert any(len(run["values"]) > 1 for run in page["results"])
    assert any(not run["values"] for run in page["results"])
    assert [(row["run"], row["result_key"]) for row in rows] == expected
    run = next(r for r in page["results"] if r["values"])
    key, result = next(iter(run["values"].items()))
    row = next(r for r in rows if r["run"] == run["uuid"] and r["result_key"] == key)
    assert row == {
        "run": run["uuid"],
        "contact": run["contact"]["name"],
        "contact_uuid": run["contact"]["uuid"],
        "flow": run["flow"]["name"],
        "result_key": key,
        "name": result["name"],
        "category": result.get("category"),
        "value": result.get("value"),
        "input": result.get("input"),
        "time": result["time"],
    }


def test_the_contacts_preset_puts_each_field_in_a_column(api: httpx.Client) -> None:
    page = api.get("/api/v2/contacts.json").json()
    rows = apply(preset("contacts"), page)
    assert len(rows) == len(page["results"])
    for contact, row in zip(page["results"], rows, strict=True):
        assert row["name"] == contact["name"]
        assert row["urns"] == ", ".join(contact["urns"])
        for key, value in contact["fields"].items():
            assert row[key] == value


def test_the_messages_preset(api: httpx.Client) -> None:
    page = api.get("/api/v2/messages.json").json()
    rows = apply(preset("messages"), page)
    first = page["results"][0]
    assert rows[0] == {
        "contact": first["contact"]["name"],
        "direction": first["direction"],
        "text": first["text"],
        "status": first["status"],
        "time": first["created_on"],
    }


def test_plain_expressions_select_and_reshape(api: httpx.Client) -> None:
    page = api.get("/api/v2/contacts.json").json()
    names = apply("results[].uuid", page)
    assert names == [c["uuid"] for c in page["results"]]
    assert records_of(names) == names
    assert records_of(page) == page["results"]
    assert records_of({"a": 1}) == [{"a": 1}]
    assert result_bytes({"a": "é"}) == '{\n  "a": "é"\n}'.encode()


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ("results[?name==]", 15, "Unexpected “]” at character 16"),
        ("results[", 8, "stops before it is complete"),
        ("results[].`x", 10, "opened but never closed"),
        ("results[].lenght(name)", 10, "no function called lenght()"),
        ("length(results, name)", 0, "length() takes 1 value, not 2"),
        ("", -1, "Type an expression"),
    ],
)
def test_a_bad_expression_says_what_and_where(text: str, position: int, words: str) -> None:
    with pytest.raises(FilterError) as caught:
        compile_filter(text).apply({"results": [{"name": "Ann"}]})
    assert caught.value.position == position
    assert words in caught.value.message
