"""References in responses: only where the catalog types them, with drafts ready to send."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from explorer.core.catalog import HttpMethod, catalog
from explorer.core.links import ITEM, Ref, actions_for, body_refs, links_in, record_refs
from explorer.core.request import prepare


@pytest.fixture
def api(sandbox: Any) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Token {sandbox.token}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=10) as client:
        yield client


def _walk(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, (*path, k))
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, (*path, ITEM))


def test_every_link_in_a_runs_page_is_a_catalog_reference_and_nothing_else_is(
    api: httpx.Client,
) -> None:
    body = api.get("/api/v2/runs.json").content
    links = links_in(body, "runs")
    page = json.loads(body)
    targets = body_refs("runs")
    expected = [(p, v) for p, v in _walk(page) if p in targets and isinstance(v, str)]
    assert len(links) == len(expected) > 3 * len(page["results"])
    assert [(link.path, link.ref.value) for link in links] == expected
    kinds = {link.ref.kind for link in links}
    assert kinds >= {"runs", "flows", "contacts"} and kinds <= {
        "runs",
        "flows",
        "contacts",
        "flow_starts",
    }
    # Each link's bytes are its string, quotes and all; names come from the same object.
    for link in links:
        assert json.loads(body[link.start : link.end]) == link.ref.value
    first = page["results"][0]
    contact = next(link for link in links if link.ref.kind == "contacts")
    assert contact.ref == Ref("contacts", first["contact"]["uuid"], first["contact"]["name"])


def test_uuids_inside_text_and_values_are_not_links() -> None:
    uuid = "09d23a05-47fe-11e4-bfe9-b8f6b119e9ab"
    body = json.dumps(
        {
            "results": [
                {
                    "uuid": "r1",
                    "values": {"id": {"value": uuid, "name": "uuid"}},
                    "path": [{"node": uuid}],
                    "contact": {"uuid": "c1", "name": "Ann"},
                }
            ]
        }
    ).encode()
    assert [(link.ref.kind, link.ref.value) for link in links_in(body, "runs")] == [
        ("runs", "r1"),
        ("contacts", "c1"),
    ]
    assert links_in(body, None) == [] and links_in(b"not json", "runs") == []


def test_a_single_object_from_a_post_has_its_links_at_the_top() -> None:
    body = b'{"uuid": "c1", "name": "Ann", "groups": [{"uuid": "g1", "name": "Farmers"}]}'
    found = links_in(body, "contacts", HttpMethod.POST)
    assert [link.ref for link in found] == [
        Ref("contacts", "c1", "Ann"),
        Ref("groups", "g1", "Farmers"),
    ]


def test_field_keys_and_user_emails_are_references_too() -> None:
    assert record_refs("campaign_events")[("relative_to", "key")].kind == "fields"
    assert record_refs("tickets")[("assignee", "email")].kind == "users"
    assert record_refs("fields")[("key",)].kind == "fields"


def test_a_contact_offers_what_people_do_next() -> None:
    labels = [a.label for a in actions_for(Ref("contacts", "c1"))]
    for wanted in ("Open it", "Its messages", "Its runs", "Start a flow for it…"):
        assert wanted in labels
    assert "Send it a message…" in labels and "Add it to a group…" in labels
    by_label = {a.label: a.draft for a in actions_for(Ref("contacts", "c1"))}
    assert by_label["Its runs"].params == {"contact": "c1"}
    assert by_label["Add it to a group…"].body == {"contacts": ["c1"], "action": "add"}
    flow = {a.label: a.draft for a in actions_for(Ref("flows", "f1"))}
    assert flow["Its definition"].endpoint == "definitions"
    assert flow["Start it…"].body == {"flow": "f1"}
    group = [a.label for a in actions_for(Ref("groups", "g1"))]
    assert group[:2] == ["Open it", "Its contacts"]


def test_every_action_names_only_what_the_catalog_declares() -> None:
    for endpoint in catalog():
        for spec in record_refs(endpoint.name).values():
            for action in actions_for(Ref(spec.kind, "x"), spec.key):
                draft = action.draft
                method = catalog()[draft.endpoint].method(draft.method)
                assert set(draft.params) <= {p.name for p in method.params}, action
                assert set(draft.body) <= {f.name for f in method.fields}, action


def test_every_get_action_is_ready_to_send(sandbox: Any, api: httpx.Client) -> None:
    contact = api.get("/api/v2/contacts.json").json()["results"][0]["uuid"]
    for action in actions_for(Ref("contacts", contact)):
        if action.draft.method is HttpMethod.GET:
            prepared = prepare(action.draft)
            response = api.get(prepared.path, params=list(prepared.query))
            assert response.status_code == 200, (action.label, response.text)
