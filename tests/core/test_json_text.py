"""The Qt-free re-indenter, tokeniser and search behind the response body viewer."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from explorer.core import json_text
from explorer.core.json_text import (
    BodyIndex,
    Finder,
    is_json_type,
    needle_pattern,
    pretty_text,
    render_row,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)

LAYOUTS = {
    "compact": {"separators": (",", ":")},
    "spaced": {},
    "indented": {"indent": 4},
    "ascii": {"separators": (",", ":"), "ensure_ascii": True},
}


def dump(value: Any, layout: str) -> bytes:
    options = {"ensure_ascii": False, **LAYOUTS[layout]}
    return json.dumps(value, **options).encode()


def index_rows(data: bytes, chunk: int, row_max: int) -> tuple[list[int], ...]:
    index = BodyIndex(data, row_max=row_max, exact=False)
    while not index.advance(chunk):
        pass
    return (
        list(index.pretty_starts),
        list(index.pretty_depths),
        list(index.raw_starts),
        list(index.pretty_cont),
        list(index.pretty_instr),
        list(index.raw_cont),
        list(index.raw_instr),
    )


def test_compact_json_is_reindented_two_spaces_a_level() -> None:
    text = pretty_text(rb'{"a":[1,2,{"b":"x\"y"}],"c":{},"d":[]}')
    assert text.splitlines() == [
        "{",
        '  "a": [',
        "    1,",
        "    2,",
        "    {",
        '      "b": "x\\"y"',
        "    }",
        "  ],",
        '  "c": {},',
        '  "d": []',
        "}",
    ]


def test_an_indented_body_comes_out_as_python_indents_it() -> None:
    value = {"results": [{"name": "Ana", "urns": ["tel:+250"], "groups": []}], "next": None}
    assert pretty_text(json.dumps(value).encode()) == json.dumps(value, indent=2)


def test_emoji_and_non_latin_text_survive() -> None:
    body = json.dumps({"name": "Fatima 🌍 Софья 李雷"}, ensure_ascii=False).encode()
    assert '"name": "Fatima 🌍 Софья 李雷"' in pretty_text(body)


@settings(max_examples=150, deadline=None)
@given(value=json_values, layout=st.sampled_from(sorted(LAYOUTS)))
def test_reindented_text_parses_to_the_same_value(value: Any, layout: str) -> None:
    assert json.loads(pretty_text(dump(value, layout))) == value


@settings(max_examples=150, deadline=None)
@example(value={"[": None}, layout="ascii", chunk=2, row_max=16)  # a slice ending '"['
@given(
    value=json_values,
    layout=st.sampled_from(sorted(LAYOUTS)),
    chunk=st.integers(min_value=1, max_value=200),
    row_max=st.sampled_from([16, 23, 64, json_text.ROW_MAX]),
)
def test_slice_boundaries_anywhere_give_the_same_rows(
    value: Any, layout: str, chunk: int, row_max: int
) -> None:
    data = dump(value, layout)
    assert index_rows(data, chunk, row_max) == index_rows(data, 1 << 20, row_max)
    # Long strings cut into continuation rows still re-join to the same JSON.
    assert json.loads(pretty_text(data, row_max=row_max, chunk=chunk)) == value


@settings(max_examples=60, deadline=None)
@given(value=json_values, chunk=st.integers(min_value=1, max_value=300))
def test_raw_rows_are_the_body_cut_into_pieces(value: Any, chunk: int) -> None:
    data = dump(value, "indented")
    index = BodyIndex(data, row_max=32, raw_row_max=32, exact=False)
    while not index.advance(chunk):
        pass
    starts = [*index.raw_starts, len(data)]
    pieces = [data[a:b] for a, b in itertools.pairwise(starts)]
    assert b"".join(pieces) == data
    for a, b in itertools.pairwise(starts):
        if len(data[a:b].rstrip(b"\n")) > 32:
            # Longer only where no pretty row starts (between tokens) to wrap at.
            assert not [s for s in index.pretty_starts if a < s <= a + 32]


def test_long_strings_are_continued_on_more_rows_without_splitting_characters() -> None:
    body = json.dumps({"blob": 'é😀\\"x' * 3000}, ensure_ascii=False).encode()
    index = BodyIndex(body, row_max=100).run()
    assert index.is_json and len(index.pretty_cont) and len(index.pretty_instr)
    for row in range(index.row_count(True)):
        start, end = index.row_span(True, row)
        body[start:end].decode("utf-8")  # every row holds whole characters
    assert json.loads(pretty_text(body, row_max=100)) == json.loads(body)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"a":1', "ends before the JSON value is complete"),
        (b"<html><body>Bad gateway</body></html>", "does not start like JSON"),
        (b'{"a":1}}', "unexpected"),
        (b'{"a":1} {"b":2}', "more after the JSON value"),
        (b"{'a': 1}", "unexpected"),
        (b"[1, NaN]", "unexpected"),
    ],
)
def test_invalid_json_falls_back_to_text_and_says_where(body: bytes, why: str) -> None:
    # exact=False: the scanner alone, as for bodies too big for json.loads on the GUI thread.
    index = BodyIndex(body, exact=False).run()
    assert not index.is_json
    assert index.error is not None and why in index.error and "line 1" in index.error
    assert index.row_count(True) == 1  # shown as text, as received


def test_small_bodies_are_checked_exactly() -> None:
    index = BodyIndex(b'{"a": [1,]}').run()
    assert index.error is not None and "line 1, column 10" in index.error


def test_a_big_invalid_body_is_found_out_while_scanning() -> None:
    good = json.dumps([{"n": i, "s": "x" * 20} for i in range(40_000)]).encode()
    body = good[:-2] + b"NaN]"
    assert len(body) > json_text.EXACT_CHECK_LIMIT
    index = BodyIndex(body).run()
    assert index.error is not None and "unexpected “NaN]”" in index.error


def test_rows_are_tokenised_with_pygments_token_types() -> None:
    body = b'{"key":"value","n":-1.5e3,"t":true,"z":null}'
    index = BodyIndex(body).run()
    kinds = {}
    for row in range(index.row_count(True)):
        r = index.render(True, row)
        for a, b, kind in r.spans:
            kinds[r.text[a:b]] = kind
    assert kinds['"key"'] == json_text.KEY
    assert kinds['"value"'] == json_text.STRING
    assert kinds["-1.5e3"] == json_text.NUMBER
    assert kinds["true"] == kinds["null"] == json_text.LITERAL
    assert kinds["{"] == kinds[":"] == json_text.PUNCTUATION


def test_raw_rows_keep_the_bytes_and_map_columns_to_offsets() -> None:
    body = '{"name":"Ana 😀","q":"say \\"hi\\""}'.encode()
    row = render_row(body, 0, len(body), pretty=False)
    assert row.text == body.decode()
    emoji = row.text.index("😀")
    assert row.offset_of(body, emoji + 1) == body.index("😀".encode()) + 4
    assert row.col_of(body, body.index(b"say")) == row.text.index("say")


def test_finder_counts_every_match_across_slices() -> None:
    body = json.dumps([{"name": f"Customer {i}", "g": "customers"} for i in range(5000)]).encode()
    finder = Finder(body, needle_pattern("CUSTOMER"))
    while not finder.advance(1000):
        pass
    assert finder.count == len(re.findall(rb"(?i)customer", body)) == 10_000
    assert list(finder.starts) == sorted(finder.starts)


def test_search_ignores_the_spacing_pretty_mode_adds() -> None:
    body = b'{"status":"active","n":[1,2]}'
    assert needle_pattern('"status": "active"').search(body)
    assert needle_pattern("[1, 2]").search(body)
    assert not needle_pattern('"status": "blocked"').search(body)


def test_json_content_types() -> None:
    assert is_json_type("application/json; charset=utf-8")
    assert is_json_type("application/problem+json")
    assert not is_json_type("text/html")


def test_a_body_of_more_rows_than_an_index_block_keeps_every_row_in_place() -> None:
    # 200,002 pretty rows: the row index spans several blocks of its column.
    value = list(range(200_000))
    body = json.dumps(value, separators=(",", ":")).encode()
    index = BodyIndex(body).run()
    assert pretty_text(body) == json.dumps(value, indent=2)
    lines = json.dumps(value, indent=2).split("\n")
    for row in (65_534, 65_535, 65_536, 65_537, 131_072, 200_001):
        start, _end = index.row_span(True, row)
        assert index.row_of_offset(True, start) == row
        assert index.line_number(True, row) == row + 1
        assert index.render(True, row).text == lines[row]
