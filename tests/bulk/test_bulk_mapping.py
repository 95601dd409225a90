"""Columns onto a POST form: matched by name, changed by the user, saved with the job."""

from __future__ import annotations

import pytest

from explorer.bulk.chunk import Chunker, chunk_field
from explorer.bulk.mapping import (
    COLUMN,
    CONSTANT,
    TEMPLATE,
    Mapping,
    Rule,
    apply_overrides,
    auto_mapping,
)
from explorer.core.catalog import HttpMethod
from explorer.core.errors import ValidationError

POST = HttpMethod.POST


def test_headers_match_fields_ignoring_case_spaces_underscores_and_dashes() -> None:
    headers = ("NAME", "Lan-guage", "u r n s", "Fields.District", "nick_name", "Notes", "ward")
    mapping = auto_mapping("contacts", POST, headers, field_keys=("ward", "nickname"))
    assert mapping.rules == {
        "name": Rule(COLUMN, "NAME"),
        "language": Rule(COLUMN, "Lan-guage"),
        "urns": Rule(COLUMN, "u r n s"),
        "fields.District": Rule(COLUMN, "Fields.District"),
        "fields.nickname": Rule(COLUMN, "nick_name"),  # a workspace field key
        "fields.ward": Rule(COLUMN, "ward"),
    }  # "Notes" is not "note": nothing is guessed past the rules


def test_a_row_becomes_the_draft_the_form_would_hold() -> None:
    mapping = auto_mapping("contacts", POST, ("name", "urns", "groups", "fields.ward"))
    mapping.rules["fields.nickname"] = Rule(TEMPLATE, "{{name}} from {{ fields.ward }}")
    mapping.rules["language"] = Rule(CONSTANT, "kin")
    draft = mapping.draft(
        {
            "name": "Ann",
            "urns": '["tel:+250788123123", "mailto:ann@example.com"]',
            "groups": "Farmers; Youth ;",
            "fields.ward": "Remera",
        }
    )
    assert draft.body == {
        "name": "Ann",
        "urns": ["tel:+250788123123", "mailto:ann@example.com"],
        "groups": ["Farmers", "Youth"],
        "fields": {"ward": "Remera", "nickname": "Ann from Remera"},
        "language": "kin",
    }
    assert mapping.draft({"name": "", "urns": ""}).body == {"language": "kin"}


def test_the_user_changes_the_mapping_and_it_survives_a_save() -> None:
    headers = ("Phone", "Full name", "extra")
    mapping = auto_mapping("contacts", POST, headers)
    assert mapping.rules == {}
    apply_overrides(
        mapping, headers, [("Phone", "urns"), ("Full name", "name")], [("groups", "Farmers")]
    )
    assert Mapping.from_json(mapping.to_json()) == mapping
    assert mapping.draft({"Phone": "tel:+250788123123", "Full name": "Ben"}).body == {
        "urns": ["tel:+250788123123"],
        "name": "Ben",
        "groups": ["Farmers"],
    }
    apply_overrides(mapping, headers, [("Full name", "")], [])
    assert "name" not in mapping.rules
    with pytest.raises(ValidationError, match="no parameter or field 'nmae'"):
        apply_overrides(mapping, headers, [("Phone", "nmae")], [])
    with pytest.raises(ValidationError, match="no column 'Tel'"):
        apply_overrides(mapping, headers, [("Tel", "urns")], [])


def _plan(endpoint: str, rows: list[tuple[dict, list]]) -> list:
    mapping = Mapping(endpoint, POST, {"contacts": Rule(COLUMN, "c")})
    chunker = Chunker(chunk_field(mapping.spec, {"contacts"}))
    out = []
    for number, (body, query) in enumerate(rows, 2):
        out += list(chunker.add(number, query, body))
    return out + list(chunker.flush())


def test_rows_that_agree_share_requests_up_to_the_catalog_limit() -> None:
    rows = [
        ({"action": "add", "group": "Farmers", "contacts": [f"tel:+25078800{i:04d}"]}, [])
        for i in range(250)
    ]
    rows.insert(5, ({"action": "add", "group": "Youth", "contacts": ["tel:+250788999999"]}, []))
    planned = _plan("contact_actions", rows)
    sizes = [(p.body["group"], len(p.body["contacts"])) for p in planned]
    # Full requests go as they fill; what is left goes in the order it was started.
    assert sizes == [("Farmers", 100), ("Farmers", 100), ("Youth", 1), ("Farmers", 50)]
    assert [p.number for p in planned] == [1, 2, 3, 4]
    assert planned[0].rows[:6] == [2, 3, 4, 5, 6, 8]  # row 7 went with Youth
    assert planned[0].row_of_item(5) == 8


def test_contacts_are_one_request_each_whatever_their_lists() -> None:
    mapping = auto_mapping("contacts", POST, ("urns", "groups"))
    assert chunk_field(mapping.spec, {"urns", "groups"}) is None
    broadcast = auto_mapping("broadcasts", POST, ("urns", "text"))
    assert chunk_field(broadcast.spec, {"urns"}).name == "urns"
    assert chunk_field(broadcast.spec, {"text"}) is None  # a constant list never varies
