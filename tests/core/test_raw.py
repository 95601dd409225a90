"""Raw mode conversions: what the raw editors show reads back to the same values."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.core.errors import ValidationError
from explorer.core.raw import body_to_text, params_to_query, query_to_params, text_to_body
from explorer.core.request import NULL


def test_query_keeps_plus_and_repeats() -> None:
    text = params_to_query({"urn": "tel:+250788123123", "uuid": ["a", "b"], "deleted": False})
    assert text == "urn=tel:%2B250788123123&uuid=a&uuid=b&deleted=false"
    assert query_to_params(text) == {
        "urn": "tel:+250788123123",
        "uuid": ["a", "b"],
        "deleted": "false",
    }


def test_pasted_query_with_a_literal_plus_keeps_it() -> None:
    assert query_to_params("?urn=tel:+250788123123&group=Big%20Donors") == {
        "urn": "tel:+250788123123",
        "group": "Big Donors",
    }


def test_unset_values_left_out() -> None:
    assert params_to_query({"a": "", "b": None, "c": []}) == ""
    assert body_to_text({"name": "", "language": None}) == ""


@pytest.mark.parametrize("bad", ["=x", "urn"])
def test_unreadable_query_says_why(bad: str) -> None:
    with pytest.raises(ValidationError):
        query_to_params(bad)


def test_body_round_trip_with_null() -> None:
    text = body_to_text({"name": NULL, "urns": ["tel:+250788123123"]})
    assert '"name": null' in text
    assert text_to_body(text) == {"name": NULL, "urns": ["tel:+250788123123"]}


def test_invalid_json_gives_line_and_column() -> None:
    with pytest.raises(ValidationError, match=r"Line 3, column 3"):
        text_to_body('{\n  "name": "Ben"\n  "urns": []\n}')
    with pytest.raises(ValidationError, match="JSON object"):
        text_to_body("[1, 2]")


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=8),
        st.one_of(
            st.text(min_size=1, max_size=12).filter(str.strip),
            st.lists(st.text(min_size=1, max_size=6).filter(str.strip), min_size=2, max_size=3),
        ),
        max_size=4,
    )
)
def test_query_round_trips(params: dict[str, Any]) -> None:
    assert query_to_params(params_to_query(params)) == params


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_reads_or_says_why(text: str) -> None:
    for parse in (query_to_params, text_to_body):
        try:
            parse(text)
        except ValidationError as exc:
            assert exc.message
