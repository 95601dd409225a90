"""The seed's promises (same every run, consistent counts) and the catalog driving the server."""

from __future__ import annotations

import pytest

from explorer.core.catalog import catalog
from explorer.sandbox.db import open_database
from explorer.sandbox.pagination import InvalidCursor, decode_cursor, encode_cursor
from explorer.sandbox.resources import REGISTRY


def test_seed_is_deterministic() -> None:
    a, b = open_database(None, contacts=120), open_database(None, contacts=120)
    try:
        for sql in (
            "SELECT uuid, name, fields FROM contacts",
            "SELECT uuid, text, created_on FROM messages",
            "SELECT identity FROM contact_urns",
        ):
            assert [tuple(r) for r in a.rows(sql)] == [tuple(r) for r in b.rows(sql)]
    finally:
        a.close()
        b.close()


def test_seed_scales_and_its_counts_add_up() -> None:
    db = open_database(None, contacts=300)
    try:
        assert db.value("SELECT count(*) FROM contacts") == 300
        for group in db.rows("SELECT id, count, system_status FROM groups"):
            if group["system_status"]:
                actual = db.value(
                    "SELECT count(*) FROM contacts WHERE is_active = 1 AND status = ?",
                    (group["system_status"],),
                )
            else:
                actual = db.value(
                    "SELECT count(*) FROM contact_groups WHERE group_id = ?", (group["id"],)
                )
            assert group["count"] == actual
        schemes = {r[0] for r in db.rows("SELECT DISTINCT scheme FROM contact_urns")}
        assert {"tel", "whatsapp", "mailto", "telegram"} <= schemes
        assert db.value("SELECT count(DISTINCT type) FROM fields") == 6
        assert db.value("SELECT count(*) FROM groups WHERE query IS NOT NULL") >= 1
        assert db.value("SELECT count(*) FROM messages WHERE attachments != '[]'") > 0
        assert db.value("SELECT count(*) FROM msg_labels") > 0
    finally:
        db.close()


def test_every_catalog_endpoint_has_a_resource_handling_every_query_parameter() -> None:
    for endpoint in catalog():
        resource = REGISTRY.classes[endpoint.name](endpoint)
        for method in endpoint.methods:
            if method.method != "GET" or method.pagination.value == "none":
                continue
            for param in method.params:
                handled = (
                    param.pagination
                    or not param.read_by_view
                    or param.name in resource.render_params
                    or param.name in resource.simple_filters
                    or bool(param.applies_to)
                    or hasattr(resource, f"filter_{param.name}")
                )
                assert handled, f"{endpoint.name}: GET parameter {param.name!r} is not handled"


def test_cursors_are_opaque_round_trips_and_reject_junk() -> None:
    assert decode_cursor(encode_cursor(1750000000000000, 42, True)) == (1750000000000000, 42, True)
    assert decode_cursor(encode_cursor("R1700001", 7, False)) == ("R1700001", 7, False)
    for junk in ("", "abc", encode_cursor(1, 2, False)[:-3] + "!!!"):
        with pytest.raises(InvalidCursor):
            decode_cursor(junk)
