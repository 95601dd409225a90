"""Writes: creates, updates and deletes show up in later reads; bad bodies get RapidPro's 400s."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

CONTACTS = "/api/v2/contacts.json"


def one(client: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    results = client.get(path, params=params).json()["results"]
    assert len(results) == 1, results
    return results[0]


# --- contacts ------------------------------------------------------------------------------------


def test_create_contact_then_read_it_back(fresh_api: httpx.Client) -> None:
    response = fresh_api.post(
        CONTACTS,
        json={
            "name": "Ana Uwase",
            "language": "kin",
            "urns": ["tel:0788 123 456", "mailto:Ana@Example.com"],
            "groups": ["reporters"],
            "fields": {"nickname": "Nana", "age": 31},
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["urns"] == ["tel:+250788123456", "mailto:ana@example.com"]
    assert [g["name"] for g in created["groups"]] == ["Reporters"]
    assert created["fields"]["nickname"] == "Nana" and created["fields"]["age"] == "31"
    assert created["fields"]["district"] is None  # every field key, unset ones null
    listed = fresh_api.get(CONTACTS).json()["results"][0]
    assert listed == created  # newest modified first
    assert one(fresh_api, CONTACTS, urn="tel:+250788123456")["uuid"] == created["uuid"]


def test_update_contact_changes_only_what_is_sent(fresh_api: httpx.Client) -> None:
    created = fresh_api.post(
        CONTACTS,
        json={
            "name": "Bo",
            "urns": ["tel:+250788000111"],
            "fields": {"nickname": "B", "gender": "male"},
        },
    ).json()
    response = fresh_api.post(
        CONTACTS,
        params={"uuid": created["uuid"]},
        json={"fields": {"nickname": None}, "note": "Called twice."},
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["name"] == "Bo" and updated["urns"] == ["tel:+250788000111"]
    assert updated["fields"]["nickname"] is None and updated["fields"]["gender"] == "male"
    assert [n["text"] for n in updated["notes"]] == ["Called twice."]
    assert updated["modified_on"] > created["modified_on"]
    by_urn = fresh_api.post(CONTACTS, params={"urn": "tel:+250788000111"}, json={"name": "Bob"})
    assert (by_urn.status_code, by_urn.json()["name"], by_urn.json()["uuid"]) == (
        200,
        "Bob",
        created["uuid"],
    )
    assert one(fresh_api, CONTACTS, uuid=created["uuid"])["name"] == "Bob"


def test_urn_lookup_creates_a_missing_contact(fresh_api: httpx.Client) -> None:
    response = fresh_api.post(CONTACTS, params={"urn": "telegram:5550001"}, json={"name": "New"})
    assert response.status_code == 201
    assert response.json()["urns"] == ["telegram:5550001"]
    refused = fresh_api.post(
        CONTACTS, params={"urn": "telegram:5550002"}, json={"urns": ["telegram:5550003"]}
    )
    assert refused.status_code == 400
    assert refused.json() == {"urns": ["Field not allowed when using URN in URL"]}


def test_contact_400s_field_and_nested_by_index(fresh_api: httpx.Client) -> None:
    taken = fresh_api.get(CONTACTS).json()["results"][0]["urns"][0]
    response = fresh_api.post(CONTACTS, json={"urns": ["tel:+250788555000", taken]})
    assert response.status_code == 400
    assert response.json() == {"urns": {"1": ["URN is in use by another contact."]}}
    response = fresh_api.post(
        CONTACTS, json={"urns": ["tel:+250788555001", "tel:12", "twitter:way too long a handle"]}
    )
    assert response.json() == {
        "urns": {
            "1": ["Invalid URN: tel:12. Ensure phone numbers contain country codes."],
            "2": [
                "Invalid URN: twitter:way too long a handle. Ensure phone numbers contain country "
                "codes."
            ],
        }
    }
    response = fresh_api.post(
        CONTACTS,
        json={
            "name": "x" * 65,
            "language": "xx1",
            "groups": ["Over 30"],
            "fields": {"nope": "1"},
            "urns": "tel:+250788555002",
        },
    )
    errors = response.json()
    assert errors["name"] == ["Ensure this field has no more than 64 characters."]
    assert errors["language"] == ["Not a valid ISO639-3 language code."]
    assert errors["urns"] == ['Expected a list of items but got type "str".']
    # every field's error at once, the group and field-key checks included
    assert errors["groups"] == ["Contact group must not be query based: Over 30"]
    assert errors["fields"] == ["Invalid contact field key: nope"]
    assert set(errors) == {"name", "language", "urns", "groups", "fields"}
    assert fresh_api.post(CONTACTS, json={"groups": ["Over 30"]}).json() == {
        "groups": ["Contact group must not be query based: Over 30"]
    }
    assert fresh_api.post(CONTACTS, json={"fields": {"nope": "1"}}).json() == {
        "fields": ["Invalid contact field key: nope"]
    }
    assert fresh_api.post(CONTACTS, json={"groups": ["Nobody's Group"]}).json() == {
        "groups": ["No such object: Nobody's Group"]
    }


def test_contact_lookup_errors(fresh_api: httpx.Client) -> None:
    both = fresh_api.post(
        CONTACTS,
        params={"uuid": "0d0d0d0d-0000-4000-8000-000000000000", "urn": "tel:+250788000001"},
        json={},
    )
    assert (both.status_code, both.json()) == (
        400,
        {"detail": "URL can only contain one of the following parameters: urn, uuid"},
    )
    missing = fresh_api.post(
        CONTACTS, params={"uuid": "0d0d0d0d-0000-4000-8000-000000000000"}, json={"name": "x"}
    )
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})


def test_delete_contact(fresh_api: httpx.Client) -> None:
    victim = fresh_api.get(CONTACTS).json()["results"][3]
    assert fresh_api.delete(CONTACTS, params={"uuid": victim["uuid"]}).status_code == 204
    assert fresh_api.get(CONTACTS, params={"uuid": victim["uuid"]}).json()["results"] == []
    gone = one(fresh_api, CONTACTS, uuid=victim["uuid"], deleted="true")
    assert gone["status"] is None and gone["urns"] == []
    assert fresh_api.delete(CONTACTS, params={"uuid": victim["uuid"]}).status_code == 404
    changed = fresh_api.post(CONTACTS, params={"uuid": victim["uuid"]}, json={"name": "Back?"})
    assert (changed.status_code, changed.json()) == (
        400,
        {"non_field_errors": ["Deleted contacts can't be modified."]},
    )
    nothing = fresh_api.delete(CONTACTS)
    assert (nothing.status_code, nothing.json()) == (
        400,
        {"detail": "URL must contain one of the following parameters: urn, uuid"},
    )
    other = fresh_api.get(CONTACTS).json()["results"][0]
    assert fresh_api.delete(CONTACTS, params={"urn": other["urns"][0]}).status_code == 204


# --- groups, labels, fields, globals, topics -------------------------------------------------


def test_group_create_rename_delete_and_counts(fresh_api: httpx.Client) -> None:
    created = fresh_api.post("/api/v2/groups.json", json={"name": "Testers"})
    assert (
        created.status_code == 201
        and created.json()["count"] == 0
        and created.json()["query"] is None
    )
    group = created.json()
    dup = fresh_api.post("/api/v2/groups.json", json={"name": "TESTERS"})
    assert (dup.status_code, dup.json()) == (400, {"name": ["This field must be unique."]})
    renamed = fresh_api.post(
        "/api/v2/groups.json", params={"uuid": group["uuid"]}, json={"name": "Beta Testers"}
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Beta Testers"
    contacts = [
        c["uuid"] for c in fresh_api.get(CONTACTS, params={"group": "Active"}).json()["results"][:3]
    ]
    assert (
        fresh_api.post(
            "/api/v2/contact_actions.json",
            json={"contacts": contacts, "action": "add", "group": group["uuid"]},
        ).status_code
        == 204
    )
    assert one(fresh_api, "/api/v2/groups.json", uuid=group["uuid"])["count"] == 3
    assert (
        fresh_api.delete("/api/v2/groups.json", params={"uuid": group["uuid"]}).status_code == 204
    )
    assert (
        fresh_api.get("/api/v2/groups.json", params={"uuid": group["uuid"]}).json()["results"] == []
    )
    assert all(
        g["uuid"] != group["uuid"]
        for c in fresh_api.get(CONTACTS).json()["results"]
        for g in c["groups"]
    )


def test_groups_system_and_in_use(fresh_api: httpx.Client) -> None:
    active = one(fresh_api, "/api/v2/groups.json", name="Active")
    response = fresh_api.post(
        "/api/v2/groups.json", params={"uuid": active["uuid"]}, json={"name": "Lively"}
    )
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "Cannot modify system object."},
    )
    nurses = one(fresh_api, "/api/v2/groups.json", name="Nurses")  # used by a campaign
    response = fresh_api.delete("/api/v2/groups.json", params={"uuid": nurses["uuid"]})
    assert response.status_code == 400 and "campaigns" in response.json()["detail"]
    bad = fresh_api.post("/api/v2/groups.json", json={"name": 'Say "hi"'})
    assert bad.json() == {"name": ['Cannot contain the character: "']}
    assert fresh_api.post("/api/v2/groups.json", json={}).json() == {
        "name": ["This field is required."]
    }
    assert fresh_api.post("/api/v2/groups.json", json={"name": None}).json() == {
        "name": ["This field may not be null."]
    }
    assert fresh_api.post("/api/v2/groups.json", json={"name": "  "}).json() == {
        "name": ["This field may not be blank."]
    }


def test_labels_round_trip(fresh_api: httpx.Client) -> None:
    label = fresh_api.post("/api/v2/labels.json", json={"name": "Urgent"}).json()
    assert label["count"] == 0
    dup = fresh_api.post("/api/v2/labels.json", json={"name": "urgent"})
    assert (dup.status_code, dup.json()) == (400, {"name": ["This field must be unique."]})
    assert (
        fresh_api.post(
            "/api/v2/labels.json", params={"uuid": label["uuid"]}, json={"name": "Very Urgent"}
        ).json()["name"]
        == "Very Urgent"
    )
    assert one(fresh_api, "/api/v2/labels.json", name="very urgent")["uuid"] == label["uuid"]
    assert (
        fresh_api.delete("/api/v2/labels.json", params={"uuid": label["uuid"]}).status_code == 204
    )
    assert (
        fresh_api.delete("/api/v2/labels.json", params={"uuid": label["uuid"]}).status_code == 404
    )


def test_fields_create_update_and_old_names(fresh_api: httpx.Client) -> None:
    created = fresh_api.post(
        "/api/v2/fields.json", json={"name": "Favourite Colour", "type": "text"}
    )
    assert created.status_code == 201
    assert (created.json()["key"], created.json()["value_type"]) == ("favourite_colour", "text")
    old = fresh_api.post(
        "/api/v2/fields.json", json={"label": "Shoe Size", "value_type": "numeric"}
    ).json()
    assert (old["key"], old["type"], old["value_type"]) == ("shoe_size", "number", "numeric")
    updated = fresh_api.post(
        "/api/v2/fields.json",
        params={"key": "shoe_size"},
        json={"name": "Shoe Size EU", "type": "text"},
    )
    assert updated.status_code == 200 and updated.json()["name"] == "Shoe Size EU"
    dup = fresh_api.post("/api/v2/fields.json", json={"name": "favourite colour", "type": "text"})
    assert (dup.status_code, dup.json()) == (400, {"name": ["This field must be unique."]})
    assert fresh_api.post("/api/v2/fields.json", json={"name": "Bad!", "type": "text"}).json() == {
        "name": ["Can only contain letters, numbers and hypens."]
    }
    assert fresh_api.post(
        "/api/v2/fields.json", json={"name": "Language", "type": "text"}
    ).json() == {"name": ['Generated key "language" is invalid or a reserved name.']}
    assert fresh_api.post(
        "/api/v2/fields.json", json={"name": "Colour", "type": "colour"}
    ).json() == {"type": ['"colour" is not a valid choice.']}
    in_use = fresh_api.post(
        "/api/v2/fields.json",
        params={"key": "registration_date"},
        json={"name": "Registration Date", "type": "text"},
    )
    assert in_use.json() == {
        "type": ["Can't change type of date field being used by campaign events."]
    }
    contact = fresh_api.get(CONTACTS).json()["results"][0]
    assert "favourite_colour" in contact["fields"]


def test_fields_without_name_or_type_are_refused_as_rapidpro_does(
    fresh_api: httpx.Client,
) -> None:
    """RapidPro asks for them as one non-field error, the name first, after the fields."""
    fields = "/api/v2/fields.json"
    no_name = fresh_api.post(fields, json={"type": "text"})
    assert (no_name.status_code, no_name.json()) == (
        400,
        {"non_field_errors": ["Field 'name' is required."]},
    )
    assert fresh_api.post(fields, json={}).json() == {
        "non_field_errors": ["Field 'name' is required."]
    }
    assert fresh_api.post(fields, json={"name": "Height"}).json() == {
        "non_field_errors": ["Field 'type' is required."]
    }
    # A bad value is still reported on its field, before anything is asked for.
    assert fresh_api.post(fields, json={"type": "colour"}).json() == {
        "type": ['"colour" is not a valid choice.']
    }
    assert fresh_api.get(fields, params={"key": "height"}).json()["results"] == []


def test_globals_create_needs_name_update_needs_value(fresh_api: httpx.Client) -> None:
    # GlobalWriteSerializer asks for the name in validate(), as a non-field error.
    assert fresh_api.post("/api/v2/globals.json", json={"value": "x"}).json() == {
        "non_field_errors": ["Name is required when creating new global."]
    }
    created = fresh_api.post(
        "/api/v2/globals.json", json={"name": "Hotline Number", "value": "+250788000000"}
    )
    assert created.status_code == 201 and created.json()["key"] == "hotline_number"
    updated = fresh_api.post(
        "/api/v2/globals.json", params={"key": "hotline_number"}, json={"value": "+250788999999"}
    )
    assert updated.status_code == 200 and updated.json()["value"] == "+250788999999"
    assert fresh_api.post(
        "/api/v2/globals.json", params={"key": "hotline_number"}, json={}
    ).json() == {"value": ["This field is required."]}
    assert fresh_api.get("/api/v2/globals.json").json()["results"][0]["key"] == "hotline_number"


def test_topics_and_the_create_limit(fresh_api: httpx.Client) -> None:
    existing = len(fresh_api.get("/api/v2/topics.json").json()["results"])
    statuses = [
        fresh_api.post("/api/v2/topics.json", json={"name": f"Topic {i}"}).status_code
        for i in range(50 - existing)
    ]
    assert set(statuses) == {201}
    over = fresh_api.post("/api/v2/topics.json", json={"name": "One Too Many"})
    assert (over.status_code, over.json()) == (
        409,
        {"detail": "Cannot create object because workspace has reached limit."},
    )
    topics = fresh_api.get("/api/v2/topics.json").json()["results"]
    first = next(t for t in reversed(topics) if not t["system"])  # the default one is fixed
    assert (
        fresh_api.post(
            "/api/v2/topics.json", params={"uuid": first["uuid"]}, json={"name": "Renamed"}
        ).status_code
        == 200
    )


# --- campaigns ----------------------------------------------------------------------------------


def test_campaign_and_events(fresh_api: httpx.Client) -> None:
    campaign = fresh_api.post(
        "/api/v2/campaigns.json", json={"name": "Vaccinations", "group": "Youth"}
    )
    assert campaign.status_code == 201
    cuuid = campaign.json()["uuid"]
    assert campaign.json()["group"]["name"] == "Youth"
    moved = fresh_api.post(
        "/api/v2/campaigns.json",
        params={"uuid": cuuid},
        json={"name": "Vaccinations 2", "group": "Teachers"},
    )
    assert moved.json()["group"]["name"] == "Teachers"
    event = {
        "campaign": cuuid,
        "relative_to": "next_appointment",
        "offset": -2,
        "unit": "days",
        "delivery_hour": 9,
    }
    created = fresh_api.post(
        "/api/v2/campaign_events.json", json={**event, "message": "See you soon!"}
    )
    assert created.status_code == 201, created.text
    assert (
        created.json()["message"] == {"eng": "See you soon!"}
        and created.json()["relative_to"]["key"] == "next_appointment"
    )
    euuid = created.json()["uuid"]
    flow = fresh_api.get("/api/v2/flows.json").json()["results"][0]["uuid"]
    to_flow = fresh_api.post(
        "/api/v2/campaign_events.json", params={"uuid": euuid}, json={**event, "flow": flow}
    )
    assert (
        to_flow.status_code == 200
        and to_flow.json()["flow"]["uuid"] == flow
        and to_flow.json()["message"] is None
    )
    both = fresh_api.post(
        "/api/v2/campaign_events.json", json={**event, "flow": flow, "message": "hi"}
    )
    assert both.json() == {"non_field_errors": ["Flow or a message text required."]}
    french_only = fresh_api.post(
        "/api/v2/campaign_events.json", json={**event, "message": {"fra": "Bonjour"}}
    )
    assert french_only.json() == {"message": ["Message text in default flow language is required."]}
    blank = fresh_api.post(
        "/api/v2/campaign_events.json", json={**event, "message": {"eng": "Hi", "fra": " "}}
    )
    assert blank.json() == {"message": {"fra": ["This field may not be blank."]}}
    hour = fresh_api.post(
        "/api/v2/campaign_events.json", json={**event, "delivery_hour": 24, "message": "x"}
    )
    assert hour.json() == {"delivery_hour": ["Ensure this value is less than or equal to 23."]}
    other = fresh_api.get("/api/v2/campaigns.json").json()["results"][-1]["uuid"]
    moved_event = fresh_api.post(
        "/api/v2/campaign_events.json",
        params={"uuid": euuid},
        json={**event, "campaign": other, "message": "x"},
    )
    assert moved_event.json() == {"campaign": ["Cannot change campaign for existing events"]}
    assert (
        fresh_api.delete("/api/v2/campaign_events.json", params={"uuid": euuid}).status_code == 204
    )
    assert (
        fresh_api.get("/api/v2/campaign_events.json", params={"uuid": euuid}).json()["results"]
        == []
    )


# --- messaging ----------------------------------------------------------------------------------


def test_send_a_message_and_find_it_in_the_outbox(fresh_api: httpx.Client) -> None:
    contact = fresh_api.get(CONTACTS, params={"group": "Active"}).json()["results"][0]
    response = fresh_api.post(
        "/api/v2/messages.json",
        json={
            "contact": contact["urns"][0],
            "text": "Your results are ready.",
            "quick_replies": [
                {"text": "Thanks"},
                {"type": "url", "text": "Open", "extra": "https://example.org"},
            ],
        },
    )
    assert response.status_code == 201, response.text
    msg = response.json()
    assert (msg["direction"], msg["status"], msg["contact"]["uuid"], msg["urn"]) == (
        "out",
        "queued",
        contact["uuid"],
        contact["urns"][0],
    )
    assert msg["quick_replies"] == [
        {"type": "text", "text": "Thanks"},  # no extra given: none written, not null
        {"type": "url", "text": "Open", "extra": "https://example.org"},
    ]
    assert one(fresh_api, "/api/v2/messages.json", uuid=msg["uuid"]) == msg
    assert (
        fresh_api.get("/api/v2/messages.json", params={"folder": "outbox"}).json()["results"][0][
            "uuid"
        ]
        == msg["uuid"]
    )


def test_message_400s(fresh_api: httpx.Client) -> None:
    contact = fresh_api.get(CONTACTS).json()["results"][0]["uuid"]
    assert fresh_api.post("/api/v2/messages.json", json={"contact": contact}).json() == {
        "non_field_errors": ["Must provide either text or attachments."]
    }
    bad = fresh_api.post(
        "/api/v2/messages.json",
        json={
            "contact": contact,
            "text": "x",
            "quick_replies": [{"type": "url", "text": "Go"}, {"text": "y" * 65}],
        },
    )
    # Each reply's problem sits at its index, the rule's and the field's alike
    # (temba/api/v2/tests/test_messages.py:302 asserts the rule under "0").
    assert bad.json() == {
        "quick_replies": {
            "0": ["Quick replies of type 'url' require 'text' and 'extra' values."],
            "1": {"text": ["Ensure this field has no more than 64 characters."]},
        }
    }
    long = fresh_api.post(
        "/api/v2/messages.json",
        json={"contact": contact, "text": "x", "quick_replies": [{"text": "y" * 65}]},
    )
    assert long.json() == {
        "quick_replies": {"0": {"text": ["Ensure this field has no more than 64 characters."]}}
    }
    assert fresh_api.post("/api/v2/messages.json", json={"text": "x"}).json() == {
        "contact": ["This field is required."]
    }


def test_create_only_endpoints_read_their_lookup(fresh_api: httpx.Client) -> None:
    contact = fresh_api.get(CONTACTS).json()["results"][0]["uuid"]
    existing = fresh_api.get("/api/v2/messages.json").json()["results"][0]["uuid"]
    again = fresh_api.post(
        "/api/v2/messages.json",
        params={"uuid": existing},
        json={"contact": contact, "text": "again"},
    )
    assert again.status_code == 200 and again.json()["uuid"] != existing
    missing = fresh_api.post(
        "/api/v2/messages.json",
        params={"uuid": "0e0e0e0e-0000-4000-8000-000000000000"},
        json={"contact": contact, "text": "x"},
    )
    assert missing.status_code == 404


def test_broadcast_round_trip_and_translation_errors(fresh_api: httpx.Client) -> None:
    response = fresh_api.post(
        "/api/v2/broadcasts.json",
        json={
            "text": {"eng": "Clinic closed Friday", "fra": "Clinique fermée vendredi"},
            "groups": ["Nurses"],
            "urns": ["tel:+250788777000"],
            "attachments": {"eng": ["image/png:https://example.org/map.png"]},
        },
    )
    assert response.status_code == 201, response.text
    sent = response.json()
    assert sent["text"] == {"eng": "Clinic closed Friday", "fra": "Clinique fermée vendredi"}
    assert sent["attachments"] == {"eng": ["image/png:https://example.org/map.png"], "fra": []}
    assert (
        sent["base_language"] == "eng"
        and sent["groups"][0]["name"] == "Nurses"
        and sent["status"] == "queued"
    )
    assert fresh_api.get("/api/v2/broadcasts.json").json()["results"][0]["uuid"] == sent["uuid"]
    blank = fresh_api.post(
        "/api/v2/broadcasts.json",
        json={"text": {"eng": "", "fra": "x" * 4097}, "urns": ["tel:+250788777000"]},
    )
    assert blank.json() == {
        "text": {
            "eng": ["This field may not be blank."],
            "fra": ["Ensure this field has no more than 4096 characters."],
        }
    }
    nobody = fresh_api.post("/api/v2/broadcasts.json", json={"text": "hi"})
    assert nobody.json() == {"non_field_errors": ["Must provide either urns, contacts or groups."]}
    base = fresh_api.post(
        "/api/v2/broadcasts.json",
        json={"text": {"eng": "hi"}, "base_language": "fra", "urns": ["tel:+250788777000"]},
    )
    assert base.json() == {"non_field_errors": ["No text translation provided in base language."]}
    language = fresh_api.post(
        "/api/v2/broadcasts.json", json={"text": {"english": "hi"}, "urns": ["tel:+250788777000"]}
    )
    # RapidPro names the key it does not know, as its translations field does
    assert language.json() == {"text": {"english": ["Not an allowed ISO 639-3 language code."]}}


def test_flow_start(fresh_api: httpx.Client) -> None:
    flow = fresh_api.get("/api/v2/flows.json").json()["results"][0]
    response = fresh_api.post(
        "/api/v2/flow_starts.json",
        json={
            "flow": flow["uuid"],
            "urns": ["tel:+250788666000"],
            "groups": ["Farmers"],
            "params": {"round": 2},
            "restart_participants": False,
        },
    )
    assert response.status_code == 201, response.text
    start = response.json()
    assert (
        start["flow"]["uuid"],
        start["params"],
        start["restart_participants"],
        start["status"],
    ) == (flow["uuid"], {"round": 2}, False, "pending")
    assert fresh_api.get("/api/v2/flow_starts.json").json()["results"][0]["uuid"] == start["uuid"]
    old_style = fresh_api.post(
        "/api/v2/flow_starts.json",
        json={"flow": flow["uuid"], "urns": ["tel:+250788666001"], "extra": {"a b": [1, 2]}},
    ).json()
    assert old_style["params"] == {"a_b": {"0": 1, "1": 2}}
    assert fresh_api.post("/api/v2/flow_starts.json", json={"flow": flow["uuid"]}).json() == {
        "non_field_errors": ["Must specify at least one group, contact or URN"]
    }
    assert fresh_api.post(
        "/api/v2/flow_starts.json",
        json={"flow": flow["uuid"], "urns": ["tel:+250788666002"], "params": [1]},
    ).json() == {"params": ["Must be a valid JSON object"]}


def test_resthook_subscribers(fresh_api: httpx.Client) -> None:
    path = "/api/v2/resthook_subscribers.json"
    created = fresh_api.post(
        path, json={"resthook": "new-report", "target_url": "https://example.org/hook"}
    )
    assert created.status_code == 201
    sub = created.json()
    assert one(fresh_api, path, id=sub["id"])["target_url"] == "https://example.org/hook"
    dup = fresh_api.post(
        path, json={"resthook": "new-report", "target_url": "https://example.org/hook"}
    )
    assert dup.json() == {"non_field_errors": ["URL is already subscribed to this event."]}
    assert fresh_api.post(
        path, json={"resthook": "nope", "target_url": "https://example.org/x"}
    ).json() == {"resthook": ["No resthook with slug: nope"]}
    assert fresh_api.post(
        path, json={"resthook": "new-report", "target_url": "not a url"}
    ).json() == {"target_url": ["Enter a valid URL."]}
    assert fresh_api.delete(path, params={"id": sub["id"]}).status_code == 204
    assert fresh_api.get(path, params={"id": sub["id"]}).json()["results"] == []
    assert fresh_api.delete(path, params={"id": sub["id"]}).status_code == 404
    assert fresh_api.get(path, params={"id": "x"}).status_code == 400


def test_media_upload_download_and_attach(fresh_api: httpx.Client) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    response = fresh_api.post("/api/v2/media.json", files={"file": ("map.png", png, "image/png")})
    assert response.status_code == 201, response.text
    media = response.json()
    assert (media["content_type"], media["filename"], media["size"]) == (
        "image/png",
        "map.png",
        len(png),
    )
    assert httpx.get(media["url"]).content == png
    contact = fresh_api.get(CONTACTS).json()["results"][0]["uuid"]
    msg = fresh_api.post(
        "/api/v2/messages.json", json={"contact": contact, "attachments": [media["uuid"]]}
    ).json()
    assert msg["attachments"] == [{"content_type": "image/png", "url": media["url"]}]
    refused = fresh_api.post(
        "/api/v2/media.json", files={"file": ("run.sh", b"echo hi", "application/x-sh")}
    )
    assert (refused.status_code, refused.json()) == (400, {"file": ["Unsupported file type."]})
    assert fresh_api.post("/api/v2/media.json", data={"other": "x"}).json() == {
        "file": ["No file was submitted."]
    }
    audio = fresh_api.post("/api/v2/media.json", files={"file": ("note.ogg", b"OggS", "audio/ogg")})
    assert audio.status_code == 201  # audio/* in the catalog's allowed types


# --- bulk actions --------------------------------------------------------------------------------


def test_contact_actions(fresh_api: httpx.Client) -> None:
    path = "/api/v2/contact_actions.json"
    active = [
        c["uuid"] for c in fresh_api.get(CONTACTS, params={"group": "Active"}).json()["results"][:2]
    ]
    assert fresh_api.post(path, json={"contacts": active, "action": "block"}).status_code == 204
    assert {one(fresh_api, CONTACTS, uuid=u)["status"] for u in active} == {"blocked"}
    added = fresh_api.post(path, json={"contacts": active, "action": "add", "group": "Donors"})
    assert added.status_code == 400 and added.json()["non_field_errors"][0].startswith(
        "Non-active contacts cannot be added to groups"
    )
    assert fresh_api.post(path, json={"contacts": active, "action": "unblock"}).status_code == 204
    assert (
        fresh_api.post(
            path, json={"contacts": active, "action": "add", "group": "Donors"}
        ).status_code
        == 204
    )
    assert all(
        "Donors" in [g["name"] for g in one(fresh_api, CONTACTS, uuid=u)["groups"]] for u in active
    )
    assert (
        fresh_api.post(
            path, json={"contacts": active[:1], "action": "remove", "group": "Donors"}
        ).status_code
        == 204
    )
    assert "Donors" not in [g["name"] for g in one(fresh_api, CONTACTS, uuid=active[0])["groups"]]
    assert (
        fresh_api.post(path, json={"contacts": active[:1], "action": "delete"}).status_code == 204
    )
    assert fresh_api.get(CONTACTS, params={"uuid": active[0]}).json()["results"] == []


def test_contact_action_rules_from_the_catalog(fresh_api: httpx.Client) -> None:
    path = "/api/v2/contact_actions.json"
    contact = fresh_api.get(CONTACTS).json()["results"][0]["uuid"]
    assert fresh_api.post(path, json={"contacts": [contact], "action": "add"}).json() == {
        "non_field_errors": ['For action "add" you should also specify a group']
    }
    assert fresh_api.post(
        path, json={"contacts": [contact], "action": "block", "group": "Donors"}
    ).json() == {"non_field_errors": ['For action "block" you should not specify a group']}
    assert fresh_api.post(
        path, json={"contacts": [contact], "action": "add", "group": "Over 30"}
    ).json() == {"group": ["Contact group must not be query based: Over 30"]}
    assert fresh_api.post(path, json={"contacts": [], "action": "block"}).json() == {
        "contacts": ["Contacts can't be empty."]
    }
    assert fresh_api.post(
        path, json={"contacts": ["tel:+15555550123"], "action": "block"}
    ).json() == {"contacts": ["No such object: tel:+15555550123"]}
    assert fresh_api.post(path, json={"contacts": [contact], "action": "explode"}).json() == {
        "action": ['"explode" is not a valid choice.']
    }
    many = fresh_api.post(path, json={"contacts": [contact] * 101, "action": "block"})
    assert many.json() == {"contacts": ["Ensure this field has no more than 100 elements."]}


def test_interrupt_and_archive_messages(fresh_api: httpx.Client) -> None:
    inbox = fresh_api.get("/api/v2/messages.json", params={"folder": "inbox"}).json()["results"]
    contact = inbox[0]["contact"]["uuid"]
    assert (
        fresh_api.post(
            "/api/v2/contact_actions.json",
            json={"contacts": [contact], "action": "archive_messages"},
        ).status_code
        == 204
    )
    mine = fresh_api.get("/api/v2/messages.json", params={"contact": contact}).json()["results"]
    assert all(m["visibility"] == "archived" for m in mine if m["direction"] == "in")
    assert (
        fresh_api.post(
            "/api/v2/contact_actions.json", json={"contacts": [contact], "action": "interrupt"}
        ).status_code
        == 204
    )
    assert one(fresh_api, CONTACTS, uuid=contact)["flow"] is None


def test_message_actions_with_failures(fresh_api: httpx.Client) -> None:
    path = "/api/v2/message_actions.json"
    inbox = [
        m["id"]
        for m in fresh_api.get("/api/v2/messages.json", params={"folder": "inbox"}).json()[
            "results"
        ][:3]
    ]
    labelled = fresh_api.post(
        path, json={"messages": [*inbox, 99999999], "action": "label", "label_name": "Needs Reply"}
    )
    assert (labelled.status_code, labelled.json()) == (200, {"failures": [99999999]})
    assert {
        m["id"]
        for m in fresh_api.get("/api/v2/messages.json", params={"label": "Needs Reply"}).json()[
            "results"
        ]
    } == set(inbox)
    assert one(fresh_api, "/api/v2/labels.json", name="Needs Reply")["count"] == 3
    assert (
        fresh_api.post(
            path, json={"messages": inbox[:1], "action": "unlabel", "label": "Needs Reply"}
        ).status_code
        == 204
    )
    assert fresh_api.post(path, json={"messages": inbox, "action": "archive"}).status_code == 204
    assert all(
        one(fresh_api, "/api/v2/messages.json", id=i)["visibility"] == "archived" for i in inbox
    )
    assert (
        fresh_api.post(path, json={"messages": inbox[:1], "action": "restore"}).status_code == 204
    )
    assert one(fresh_api, "/api/v2/messages.json", id=inbox[0])["visibility"] == "visible"
    assert fresh_api.post(path, json={"messages": inbox[:1], "action": "delete"}).status_code == 204
    assert fresh_api.get("/api/v2/messages.json", params={"id": inbox[0]}).json()["results"] == []


def test_message_action_rules(fresh_api: httpx.Client) -> None:
    path = "/api/v2/message_actions.json"
    out = fresh_api.get("/api/v2/messages.json", params={"folder": "sent"}).json()["results"][0][
        "id"
    ]
    assert fresh_api.post(path, json={"messages": [out], "action": "archive"}).json() == {
        "messages": [f"Not an incoming message: {out}"]
    }
    msg = fresh_api.get("/api/v2/messages.json", params={"folder": "inbox"}).json()["results"][0][
        "id"
    ]
    assert fresh_api.post(
        path, json={"messages": [msg], "action": "label", "label": "Spam", "label_name": "Spam"}
    ).json() == {"non_field_errors": ["Can't specify both label and label_name."]}
    assert fresh_api.post(path, json={"messages": [msg], "action": "label"}).json() == {
        "non_field_errors": ['For action "label" you should also specify a label']
    }
    assert fresh_api.post(
        path, json={"messages": [msg], "action": "archive", "label": "Spam"}
    ).json() == {"non_field_errors": ['For action "archive" you should not specify a label']}
    assert fresh_api.post(path, json={"messages": ["x"], "action": "archive"}).json() == {
        "messages": {"0": ["A valid integer is required."]}
    }


def test_ticket_actions_with_failures(fresh_api: httpx.Client) -> None:
    path = "/api/v2/ticket_actions.json"
    tickets = fresh_api.get("/api/v2/tickets.json").json()["results"]
    open_one = next(t for t in tickets if t["status"] == "open")["uuid"]
    closed_one = next(t for t in tickets if t["status"] == "closed")["uuid"]
    closing = fresh_api.post(path, json={"tickets": [open_one, closed_one], "action": "close"})
    assert (closing.status_code, closing.json()) == (200, {"failures": [closed_one]})
    assert one(fresh_api, "/api/v2/tickets.json", uuid=open_one)["status"] == "closed"
    assert fresh_api.post(path, json={"tickets": [open_one], "action": "reopen"}).status_code == 204
    assert (
        fresh_api.post(
            path,
            json={"tickets": [open_one], "action": "assign", "assignee": "EDITOR@sandbox.example"},
        ).status_code
        == 204
    )
    assert one(fresh_api, "/api/v2/tickets.json", uuid=open_one)["assignee"] == {
        "email": "editor@sandbox.example",
        "name": "Eddie Editor",
    }
    again = fresh_api.post(
        path, json={"tickets": [open_one], "action": "assign", "assignee": "editor@sandbox.example"}
    )
    assert again.json() == {"failures": [open_one]}
    assert (
        fresh_api.post(
            path, json={"tickets": [open_one], "action": "assign", "assignee": None}
        ).status_code
        == 204
    )
    assert one(fresh_api, "/api/v2/tickets.json", uuid=open_one)["assignee"] is None
    assert fresh_api.post(path, json={"tickets": [open_one], "action": "assign"}).json() == {
        "non_field_errors": ['For action "assign" you must specify the assignee']
    }
    assert fresh_api.post(path, json={"tickets": [open_one], "action": "add_note"}).json() == {
        "non_field_errors": ['For action "add_note" you must specify the note']
    }
    topic = fresh_api.get("/api/v2/topics.json").json()["results"][0]
    assert fresh_api.post(
        path, json={"tickets": [open_one], "action": "change_topic", "topic": topic["uuid"]}
    ).status_code in (200, 204)
    assert one(fresh_api, "/api/v2/tickets.json", uuid=open_one)["topic"]["uuid"] == topic["uuid"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/contacts.json",
        "/api/v2/groups.json",
        "/api/v2/labels.json",
        "/api/v2/campaign_events.json",
    ],
)
def test_delete_of_a_missing_object_is_404(fresh_api: httpx.Client, path: str) -> None:
    response = fresh_api.delete(path, params={"uuid": "0f0f0f0f-0000-4000-8000-000000000000"})
    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


# --- lookups -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", CONTACTS),
        ("DELETE", CONTACTS),
        ("POST", "/api/v2/groups.json"),
        ("DELETE", "/api/v2/groups.json"),
        ("POST", "/api/v2/labels.json"),
        ("DELETE", "/api/v2/campaign_events.json"),
    ],
)
def test_malformed_uuid_in_a_write_lookup_is_400_not_404(
    fresh_api: httpx.Client, method: str, path: str
) -> None:
    # RapidPro: a malformed ?uuid= is a 400 naming the param; a well-formed unknown one a 404.
    body = {"name": "x"} if method == "POST" else None
    response = fresh_api.request(method, path, params={"uuid": "1234"}, json=body)
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "Param 'uuid': 1234 is not a valid UUID."},
    )
    unknown = {"uuid": "0d0d0d0d-0000-4000-8000-000000000000"}
    assert fresh_api.request(method, path, params=unknown, json=body).status_code == 404


def test_malformed_uuid_in_a_get_filter_names_the_param(api: httpx.Client) -> None:
    for path, name in [
        ("/api/v2/definitions.json", "flow"),
        ("/api/v2/groups.json", "uuid"),
        ("/api/v2/flows.json", "uuid"),
    ]:
        response = api.get(path, params={name: "1234"})
        assert (response.status_code, response.json()) == (
            400,
            {"detail": f"Param '{name}': 1234 is not a valid UUID."},
        ), path


# --- every error at once -------------------------------------------------------------------------


def test_campaign_event_post_names_every_bad_field_in_one_answer(
    fresh_api: httpx.Client,
) -> None:
    campaign = fresh_api.get("/api/v2/campaigns.json").json()["results"][0]
    response = fresh_api.post(
        "/api/v2/campaign_events.json",
        json={
            "campaign": campaign["uuid"],
            "relative_to": "registration_date",
            "offset": 1,
            "unit": "fortnights",
            "delivery_hour": 99,
            "message": {"fra": "Bonjour"},
        },
    )
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"unit", "delivery_hour", "message"}
    assert errors["message"] == ["Message text in default flow language is required."]


def test_broadcast_quick_replies_errors_and_values_as_rapidpro_writes_them(
    fresh_api: httpx.Client,
) -> None:
    base = {"urns": ["tel:+250788000001"], "text": "Hello"}
    bad = fresh_api.post(
        "/api/v2/broadcasts.json", json=base | {"quick_replies": [{"type": "form"}]}
    )
    assert (bad.status_code, bad.json()) == (
        400,
        # a bare list is the default language's, so the reply's index sits under it
        {
            "quick_replies": {
                "eng": {"0": ["Quick replies of type 'form' require 'text' and 'extra' values."]}
            }
        },
    )
    good = fresh_api.post(
        "/api/v2/broadcasts.json", json=base | {"quick_replies": [{"text": "Yes"}]}
    )
    assert good.status_code == 201, good.text
    assert good.json()["quick_replies"] == {"eng": [{"type": "text", "text": "Yes"}]}
