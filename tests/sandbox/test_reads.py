"""Reads: every endpoint's GET answers with the catalog's shapes, pages and filters."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from explorer.core.catalog import Endpoint, Kind, Pagination, ResultField, TypeSpec, catalog

DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def check_value(spec: TypeSpec, value: Any, where: str, shape: tuple[str, ...] = ()) -> None:
    """Assert ``value`` has the catalog type ``spec`` (nulls are checked by the caller)."""
    kind = spec.kind
    if kind is Kind.DATETIME:
        assert isinstance(value, str) and DATETIME_RE.match(value), f"{where}: {value!r}"
    elif kind is Kind.DATE:
        assert isinstance(value, str) and DATE_RE.match(value), f"{where}: {value!r}"
    elif kind is Kind.UUID:
        assert isinstance(value, str) and UUID_RE.match(value), f"{where}: {value!r}"
    elif kind is Kind.INT:
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r}"
    elif kind is Kind.BOOL:
        assert isinstance(value, bool), f"{where}: {value!r}"
    elif kind in (Kind.STRING, Kind.URN, Kind.LANGUAGE, Kind.CHOICE):
        assert isinstance(value, str), f"{where}: {value!r}"
    elif kind is Kind.LIST:
        assert isinstance(value, list), f"{where}: {value!r}"
        for i, item in enumerate(value):
            if not (spec.base.kind is Kind.URN and isinstance(item, dict)):  # expanded URNs
                check_value(spec.base, item, f"{where}[{i}]", shape)
    elif kind is Kind.REF:
        keys = set(shape or ("uuid", "name"))
        assert isinstance(value, dict) and set(value) == keys, f"{where}: {value!r}"
    elif kind in (Kind.DICT, Kind.TRANSLATIONS):
        assert isinstance(value, dict), f"{where}: {value!r}"
        if kind is Kind.DICT and shape and spec.kind is not Kind.LIST:
            assert set(value) == set(shape), f"{where}: {value!r}"


def check_result(fields: tuple[ResultField, ...], obj: dict[str, Any], where: str) -> None:
    wanted = [f.name for f in fields if not f.anon_only]
    assert list(obj) == wanted, f"{where}: keys {list(obj)}"
    for f in fields:
        if f.anon_only:
            continue
        value = obj[f.name]
        if value is None:
            # json fields (a channel event's extra) may hold null as their value
            assert f.nullable or f.deprecated or f.type == "json", f"{where}.{f.name} is null"
            continue
        spec = TypeSpec.parse(f.type)
        shape = f.shape if not (spec.kind is Kind.LIST and spec.base.kind is Kind.DICT) else ()
        check_value(spec, value, f"{where}.{f.name}", shape)
        if spec.kind is Kind.CHOICE and f.choices:
            assert value in f.choices, f"{where}.{f.name}: {value!r}"


LISTED = [e for e in catalog() if e.supports("GET")]


def sample_params(sandbox: Any, endpoint: Endpoint) -> dict[str, Any]:
    """Parameters that make an endpoint return something (most need none)."""
    if endpoint.name == "statistics":
        return {"since": "2025-06-10", "until": "2026-06-01"}
    if endpoint.name == "definitions":
        flow = sandbox.db.value("SELECT uuid FROM flows ORDER BY id LIMIT 1")
        campaign = sandbox.db.value("SELECT uuid FROM campaigns ORDER BY id LIMIT 1")
        return {"flow": flow, "campaign": campaign}
    return {}


@pytest.mark.parametrize("endpoint", LISTED, ids=lambda e: e.name)
def test_every_get_answers_200_in_the_catalogs_shape(
    sandbox: Any, api: httpx.Client, endpoint: Endpoint
) -> None:
    method = endpoint.method("GET")
    response = api.get(endpoint.path, params=sample_params(sandbox, endpoint))
    assert response.status_code == 200, response.text
    body = response.json()
    if method.pagination is Pagination.NONE:
        if endpoint.name == "statistics":
            assert list(body) == ["results"] and body["results"]
            for day in body["results"]:
                check_result(method.result_fields, day, "statistics")
        elif endpoint.name == "definitions":
            assert {"version", "site", "flows", "campaigns", "triggers", "fields", "groups"} == set(
                body
            )
            assert body["flows"] and body["campaigns"]
        else:
            check_result(method.result_fields, body, endpoint.name)
        return
    expected = (
        ["count", "next", "previous", "results"]
        if method.pagination is Pagination.LIMIT_OFFSET
        else ["next", "previous", "results"]
    )
    assert list(body) == expected
    assert body["results"], f"the seed gives {endpoint.name} no rows"
    for i, obj in enumerate(body["results"]):
        check_result(method.result_fields, obj, f"{endpoint.name}[{i}]")


def test_contacts_walk_every_page_once_newest_first(
    sandbox: Any, api: httpx.Client, walk: Any
) -> None:
    results = walk(api, "/api/v2/contacts.json")
    uuids = [c["uuid"] for c in results]
    assert len(uuids) == len(set(uuids))
    assert len(uuids) == sandbox.db.value("SELECT count(*) FROM contacts WHERE is_active = 1")
    stamps = [c["modified_on"] for c in results]
    assert stamps == sorted(stamps, reverse=True)


def test_pages_hold_250_and_links_are_absolute_with_other_params(
    sandbox: Any, api: httpx.Client
) -> None:
    page = api.get(
        "/api/v2/contacts.json", params={"group": "Over 30", "after": "2020-01-01T00:00:00Z"}
    ).json()
    assert len(page["results"]) == 250
    assert page["previous"] is None
    nxt = urlparse(page["next"])
    assert (
        f"{nxt.scheme}://{nxt.netloc}" == sandbox.base_url and nxt.path == "/api/v2/contacts.json"
    )
    query = parse_qs(nxt.query)
    assert (
        query["group"] == ["Over 30"]
        and query["after"] == ["2020-01-01T00:00:00Z"]
        and query["cursor"]
    )
    second = api.get(page["next"]).json()
    assert not {c["uuid"] for c in second["results"]} & {c["uuid"] for c in page["results"]}
    assert all("Over 30" in [g["name"] for g in c["groups"]] for c in second["results"])


def test_previous_link_returns_the_page_before(api: httpx.Client) -> None:
    first = api.get("/api/v2/contacts.json").json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    back = api.get(third["previous"]).json()
    assert [c["uuid"] for c in back["results"]] == [c["uuid"] for c in second["results"]]
    assert back["next"] and api.get(back["next"]).json()["results"] == third["results"]
    front = api.get(second["previous"]).json()
    assert [c["uuid"] for c in front["results"]] == [c["uuid"] for c in first["results"]]
    assert front["previous"] is None


def test_reverse_lists_oldest_first(api: httpx.Client, walk: Any) -> None:
    forward = walk(api, "/api/v2/contacts.json")
    backward = walk(api, "/api/v2/contacts.json", {"reverse": "true"})
    assert [c["uuid"] for c in backward] == [c["uuid"] for c in reversed(forward)]
    runs = api.get("/api/v2/runs.json", params={"reverse": "1"}).json()["results"]
    stamps = [r["modified_on"] for r in runs]
    assert stamps == sorted(stamps)


def test_invalid_cursor_is_404(api: httpx.Client) -> None:
    response = api.get("/api/v2/contacts.json", params={"cursor": "not-a-cursor"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


def test_contact_lookups_by_uuid_and_urn(api: httpx.Client) -> None:
    contact = next(c for c in api.get("/api/v2/contacts.json").json()["results"] if c["urns"])
    by_uuid = api.get("/api/v2/contacts.json", params={"uuid": contact["uuid"]}).json()["results"]
    assert [c["uuid"] for c in by_uuid] == [contact["uuid"]]
    by_urn = api.get("/api/v2/contacts.json", params={"urn": contact["urns"][0]}).json()["results"]
    assert [c["uuid"] for c in by_urn] == [contact["uuid"]]


def test_bad_lookup_values_are_400_with_detail(api: httpx.Client) -> None:
    response = api.get("/api/v2/contacts.json", params={"uuid": "nope"})
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "Param 'uuid': nope is not a valid UUID."},
    )
    response = api.get("/api/v2/contacts.json", params={"urn": "tel:abc"})
    assert (response.status_code, response.json()) == (400, {"detail": "Invalid URN: tel:abc"})
    response = api.get("/api/v2/messages.json", params={"id": "x"})
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "Value for id must be an integer"},
    )


def test_contacts_by_group_name_uuid_and_unknown(api: httpx.Client) -> None:
    groups = {g["name"]: g for g in api.get("/api/v2/groups.json").json()["results"]}
    farmers = groups["Farmers"]
    by_name = api.get("/api/v2/contacts.json", params={"group": "farmers"}).json()["results"]
    by_uuid = api.get("/api/v2/contacts.json", params={"group": farmers["uuid"]}).json()["results"]
    assert by_name and [c["uuid"] for c in by_name] == [c["uuid"] for c in by_uuid]
    assert all("Farmers" in [g["name"] for g in c["groups"]] for c in by_name)
    assert (
        api.get("/api/v2/contacts.json", params={"group": "No Such Group"}).json()["results"] == []
    )
    blocked = api.get("/api/v2/contacts.json", params={"group": "Blocked"}).json()["results"]
    assert blocked and {c["status"] for c in blocked} == {"blocked"}


def test_deleted_contacts_only_when_asked(api: httpx.Client) -> None:
    deleted = api.get("/api/v2/contacts.json", params={"deleted": "true"}).json()["results"]
    assert deleted
    assert all(c["status"] is None and c["urns"] == [] and c["groups"] == [] for c in deleted)
    live = api.get("/api/v2/contacts.json").json()["results"]
    assert all(c["status"] is not None for c in live)


def test_before_and_after_bound_modified_on(api: httpx.Client) -> None:
    page = api.get("/api/v2/contacts.json").json()["results"]
    pivot = page[100]["modified_on"]
    after = api.get("/api/v2/contacts.json", params={"after": pivot}).json()["results"]
    assert after and all(c["modified_on"] >= pivot for c in after)
    assert after[-1]["modified_on"] == pivot
    before = api.get("/api/v2/contacts.json", params={"before": pivot}).json()["results"]
    assert before[0]["modified_on"] == pivot and all(c["modified_on"] <= pivot for c in before)
    # RapidPro gives an unreadable date no results, not an error.
    assert (
        api.get("/api/v2/contacts.json", params={"before": "yesterday-ish"}).json()["results"] == []
    )


def test_expand_urns_gives_objects(api: httpx.Client) -> None:
    results = api.get("/api/v2/contacts.json", params={"expand_urns": "true"}).json()["results"]
    # Other tests share this sandbox and may have added contacts without URNs.
    urn = next(c for c in results if c["urns"])["urns"][0]
    assert set(urn) == {"channel", "scheme", "path", "display"}
    assert urn["scheme"] in ("tel", "telegram", "facebook")


def test_message_folders(api: httpx.Client) -> None:
    inbox = api.get("/api/v2/messages.json", params={"folder": "INBOX"}).json()["results"]
    assert inbox and all(
        m["direction"] == "in" and m["visibility"] == "visible" and m["flow"] is None for m in inbox
    )
    archived = api.get("/api/v2/messages.json", params={"folder": "archived"}).json()["results"]
    assert archived and all(m["archived"] and m["visibility"] == "archived" for m in archived)
    sent = api.get("/api/v2/messages.json", params={"folder": "sent"}).json()["results"]
    assert sent and all(m["direction"] == "out" and m["sent_on"] for m in sent)
    assert [m["sent_on"] for m in sent] == sorted((m["sent_on"] for m in sent), reverse=True)
    assert api.get("/api/v2/messages.json", params={"folder": "junk"}).json()["results"] == []


def test_messages_by_contact_and_label_and_exclusive_params(api: httpx.Client) -> None:
    some = api.get("/api/v2/messages.json").json()["results"][0]
    mine = api.get("/api/v2/messages.json", params={"contact": some["contact"]["uuid"]}).json()[
        "results"
    ]
    assert mine and {m["contact"]["uuid"] for m in mine} == {some["contact"]["uuid"]}
    labelled = api.get("/api/v2/messages.json", params={"label": "important"}).json()["results"]
    assert labelled and all("Important" in [lb["name"] for lb in m["labels"]] for m in labelled)
    response = api.get("/api/v2/messages.json", params={"folder": "inbox", "label": "Important"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "You may only specify one of the contact, folder, label, broadcast parameters"
    }


def test_runs_filters(api: httpx.Client) -> None:
    flows = api.get("/api/v2/flows.json").json()["results"]
    flow = next(f for f in flows if f["runs"]["completed"])
    runs = api.get("/api/v2/runs.json", params={"flow": flow["uuid"]}).json()["results"]
    assert runs and {r["flow"]["uuid"] for r in runs} == {flow["uuid"]}
    responded = api.get("/api/v2/runs.json", params={"responded": "true"}).json()["results"]
    assert responded and all(r["responded"] for r in responded)
    no_paths = api.get("/api/v2/runs.json", params={"paths": "false"}).json()["results"]
    assert all(r["path"] is None for r in no_paths)
    assert api.get("/api/v2/runs.json", params={"flow": "nope"}).status_code == 400
    unknown = api.get("/api/v2/runs.json", params={"flow": "0b0b0b0b-0000-4000-8000-000000000000"})
    assert unknown.status_code == 200 and unknown.json()["results"] == []
    response = api.get(
        "/api/v2/runs.json", params={"flow": flow["uuid"], "contact": runs[0]["contact"]["uuid"]}
    )
    assert response.status_code == 400


def test_groups_by_name_any_case_and_manual_only(api: httpx.Client) -> None:
    assert [
        g["name"]
        for g in api.get("/api/v2/groups.json", params={"name": "REPORTERS"}).json()["results"]
    ] == ["Reporters"]
    manual = api.get("/api/v2/groups.json", params={"manual_only": "true"}).json()["results"]
    assert manual and all(g["query"] is None and not g["system"] for g in manual)
    everything = api.get("/api/v2/groups.json").json()["results"]
    assert any(g["query"] for g in everything) and any(g["system"] for g in everything)


def test_archives_limit_offset(api: httpx.Client) -> None:
    first = api.get("/api/v2/archives.json", params={"limit": 10}).json()
    assert len(first["results"]) == 10 and first["count"] > 10 and first["previous"] is None
    query = parse_qs(urlparse(first["next"]).query)
    assert query == {"limit": ["10"], "offset": ["10"]}
    second = api.get(first["next"]).json()
    assert second["results"] != first["results"]
    assert parse_qs(urlparse(second["previous"]).query) == {"limit": ["10"]}
    monthly_runs = api.get(
        "/api/v2/archives.json", params={"type": "run", "period": "monthly"}
    ).json()
    assert monthly_runs["count"] == 12 and {
        (a["type"], a["period"]) for a in monthly_runs["results"]
    } == {("run", "monthly")}
    starts = [a["start_date"] for a in monthly_runs["results"]]
    assert starts == sorted(starts, reverse=True)
    assert api.get("/api/v2/archives.json", params={"type": "bogus"}).json()["count"] == 0
    early = api.get("/api/v2/archives.json", params={"before": "2025-07-01"}).json()["results"]
    assert early and all(a["start_date"] <= "2025-07-01" for a in early)


def test_users_by_role_and_email(api: httpx.Client) -> None:
    agents = api.get("/api/v2/users.json", params=[("role", "agent"), ("role", "nonsense")]).json()[
        "results"
    ]
    assert agents and {u["role"] for u in agents} == {"agent"}
    admin = api.get("/api/v2/users.json", params={"email": "ADMIN@sandbox.example"}).json()[
        "results"
    ]
    assert [u["email"] for u in admin] == ["admin@sandbox.example"]


@pytest.mark.parametrize(
    ("path", "params", "key", "expected"),
    [
        ("/api/v2/fields.json", {"key": "district"}, "type", "district"),
        ("/api/v2/globals.json", {"key": "org_name"}, "name", "Org Name"),
        ("/api/v2/labels.json", {"name": "spam"}, "name", "Spam"),
        ("/api/v2/channels.json", {"address": "SandboxBot"}, "type", "telegram"),
        (
            "/api/v2/resthook_subscribers.json",
            {"resthook": "registration-complete"},
            "resthook",
            "registration-complete",
        ),
        (
            "/api/v2/resthook_events.json",
            {"resthook": "ticket-opened"},
            "resthook",
            "ticket-opened",
        ),
        ("/api/v2/flows.json", {"type": "voice"}, "name", "IVR Hotline"),
        ("/api/v2/flows.json", {"archived": "true"}, "name", "Old Feedback"),
    ],
)
def test_simple_filters(
    api: httpx.Client, path: str, params: dict[str, str], key: str, expected: str
) -> None:
    results = api.get(path, params=params).json()["results"]
    assert results and {r[key] for r in results} == {expected}


def test_unknown_references_give_empty_lists(api: httpx.Client) -> None:
    nobody = "0c0c0c0c-0000-4000-8000-000000000000"
    for path, params in [
        ("/api/v2/tickets.json", {"contact": nobody}),
        ("/api/v2/channel_events.json", {"contact": nobody}),
        ("/api/v2/campaign_events.json", {"campaign": "No Such Campaign"}),
        ("/api/v2/resthook_events.json", {"resthook": "no-such-hook"}),
    ]:
        response = api.get(path, params=params)
        assert response.status_code == 200 and response.json()["results"] == [], path


def test_campaign_events_by_campaign_name(api: httpx.Client) -> None:
    events = api.get("/api/v2/campaign_events.json", params={"campaign": "Farmer Tips"}).json()[
        "results"
    ]
    assert events and {e["campaign"]["name"] for e in events} == {"Farmer Tips"}
    assert all((e["flow"] is None) != (e["message"] is None) for e in events)


def test_broadcasts_after_and_scheduled_left_out(sandbox: Any, api: httpx.Client) -> None:
    everything = api.get("/api/v2/broadcasts.json").json()["results"]
    assert len(everything) == sandbox.db.value(
        "SELECT count(*) FROM broadcasts WHERE scheduled = 0"
    )
    pivot = everything[5]["created_on"]
    after = api.get("/api/v2/broadcasts.json", params={"after": pivot}).json()["results"]
    assert [b["uuid"] for b in after] == [b["uuid"] for b in everything[:6]]


def test_workspace_and_its_deprecated_alias(api: httpx.Client) -> None:
    workspace = api.get("/api/v2/workspace.json").json()
    assert workspace == api.get("/api/v2/org.json").json()
    assert (
        workspace["languages"][0] == workspace["primary_language"] and workspace["country"] == "RW"
    )


def test_statistics_counts_and_limits(api: httpx.Client) -> None:
    stats = api.get(
        "/api/v2/statistics.json", params={"since": "2025-06-10", "until": "2025-06-20"}
    ).json()["results"]
    assert [d["date"] for d in stats] == sorted(d["date"] for d in stats)
    assert all("2025-06-10" <= d["date"] < "2025-06-20" for d in stats)
    for day in stats:
        for channel in day["channels"].values():
            assert channel["type"] and all(v > 0 for k, v in channel.items() if k != "type")
    bad = api.get("/api/v2/statistics.json", params={"since": "bad"})
    assert (bad.status_code, bad.json()) == (400, {"detail": "Invalid date value for 'since'."})
    too_long = api.get(
        "/api/v2/statistics.json", params={"since": "2024-01-01", "until": "2025-06-01"}
    )
    assert (too_long.status_code, too_long.json()) == (
        400,
        {"detail": "Date range can't be more than 366 days."},
    )


def test_definitions_follow_dependencies(sandbox: Any, api: httpx.Client) -> None:
    campaign = sandbox.db.value("SELECT uuid FROM campaigns WHERE name = 'Appointment Reminders'")
    none = api.get(
        "/api/v2/definitions.json", params={"campaign": campaign, "dependencies": "none"}
    ).json()
    assert none["flows"] == [] and "fields" not in none and len(none["campaigns"]) == 1
    assert all(e["start_mode"] == "I" for e in none["campaigns"][0]["events"])
    everything = api.get("/api/v2/definitions.json", params={"campaign": campaign}).json()
    assert everything["flows"] and everything["fields"] and everything["groups"]
    assert api.get("/api/v2/definitions.json", params={"dependencies": "some"}).status_code == 400


def test_datetimes_are_utc_with_microseconds(api: httpx.Client) -> None:
    contact = api.get("/api/v2/contacts.json").json()["results"][0]
    parsed = datetime.strptime(contact["created_on"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert parsed.year >= 2025
