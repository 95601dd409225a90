"""Postman Collection v2.1: export, import, and a round trip that keeps every request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from explorer.core.catalog import HttpMethod
from explorer.core.errors import ValidationError
from explorer.core.request import NULL, Draft
from explorer.store.collections import Collection, SavedRequest
from explorer.store.postman import (
    SCHEMA_V21,
    PostmanFolder,
    PostmanImport,
    create_from_postman,
    export_collection,
    import_into,
    parse_postman,
    read_postman,
    write_postman,
)


@pytest.fixture
def coll(tmp_path: Path) -> Collection:
    c = Collection.create(tmp_path / "smoke", "Smoke tests")
    c.set_variables({"group_name": "Testers", "phone": "+250788123123"})
    c.add(
        SavedRequest(
            "List contacts",
            Draft("contacts", params={"group": "{{group_name}}", "deleted": False}),
            notes="Everyone in the test group.",
        )
    )
    groups = c.create_folder("Groups")
    c.add(
        SavedRequest(
            "Create group",
            Draft("groups", HttpMethod.POST, body={"name": "{{group_name}}"}),
            expect_status=(201,),
            capture={"group_uuid": "uuid"},
        ),
        groups,
    )
    c.add(
        SavedRequest(
            "Fetch it",
            Draft("groups", params={"name": "{{group_name}}"}),
            capture={"first": "results.0.uuid"},
        ),
        groups,
    )
    c.add(
        SavedRequest(
            "Delete it",
            Draft("groups", HttpMethod.DELETE, params={"uuid": "{{group_uuid}}"}),
            expect_status=(204, 404),
        ),
        groups,
    )
    c.add(
        SavedRequest(
            "Update contact",
            Draft(
                "contacts",
                HttpMethod.POST,
                params={"urn": "tel:+250788123123"},
                body={"name": "Ben", "language": NULL, "fields": {"age": "39"}},
            ),
        )
    )
    return c


def comparable(pairs: list[tuple[str, SavedRequest]]) -> list[Any]:
    return [(folder, r.name, r.draft, r.notes, r.expect_status, r.capture) for folder, r in pairs]


def test_export_uses_base_url_and_an_empty_token(coll: Collection) -> None:
    doc = export_collection(coll)
    assert doc["info"] == {"name": "Smoke tests", "schema": SCHEMA_V21}
    assert doc["variable"][:2] == [{"key": "base_url", "value": ""}, {"key": "token", "value": ""}]
    assert {"key": "group_name", "value": "Testers"} in doc["variable"]
    first, folder, update = doc["item"]
    assert folder["name"] == "Groups" and len(folder["item"]) == 3
    req = first["request"]
    assert req["method"] == "GET"
    assert (
        req["url"]["raw"] == "{{base_url}}/api/v2/contacts.json?group={{group_name}}&deleted=false"
    )
    assert req["url"]["host"] == ["{{base_url}}"]
    assert req["url"]["path"] == ["api", "v2", "contacts.json"]
    assert req["url"]["query"] == [
        {"key": "group", "value": "{{group_name}}"},
        {"key": "deleted", "value": "false"},
    ]
    assert {"key": "Authorization", "value": "Token {{token}}"} in req["header"]
    assert req["description"] == "Everyone in the test group."
    body = update["request"]["body"]
    assert body["mode"] == "raw" and body["options"] == {"raw": {"language": "json"}}
    assert json.loads(body["raw"]) == {"name": "Ben", "language": None, "fields": {"age": "39"}}
    assert update["request"]["url"]["raw"].endswith("contacts.json?urn=tel:%2B250788123123")
    script = "\n".join(folder["item"][0]["event"][0]["script"]["exec"])
    assert "pm.expect(pm.response.code).to.be.oneOf([201]);" in script
    assert 'pm.collectionVariables.set("group_uuid", data.uuid);' in script
    fetch = "\n".join(folder["item"][1]["event"][0]["script"]["exec"])
    assert 'pm.collectionVariables.set("first", data.results[0].uuid);' in fetch


def exported_and_read(coll: Collection, tmp_path: Path) -> PostmanImport:
    """``coll`` written as a Postman file and read back."""
    path = tmp_path / "smoke.postman_collection.json"
    write_postman(coll, path)
    return read_postman(path)


def test_round_trip_export_then_import_gives_the_same_requests(
    coll: Collection, tmp_path: Path
) -> None:
    result = exported_and_read(coll, tmp_path)
    assert result.problems == []
    assert result.token is None
    assert result.variables == coll.variables
    originals = [(r.folder, r) for r in coll.requests()]
    assert comparable(result.requests()) == comparable(originals)
    # ...and into a new collection, which exports to the same file again.
    copy = create_from_postman(result, tmp_path / "copy")
    assert comparable([(r.folder, r) for r in copy.requests()]) == comparable(originals)
    assert export_collection(copy) == export_collection(coll)


def test_importing_a_name_that_exists_makes_a_distinct_one(
    coll: Collection, tmp_path: Path
) -> None:
    result = exported_and_read(coll, tmp_path)
    home = tmp_path / "collections"
    first = create_from_postman(result, home / "smoke", taken_names=[coll.name])
    assert first.name == f"{coll.name} (2)" and first.root == home / "smoke"
    again = create_from_postman(result, home / "smoke", taken_names=[coll.name, first.name])
    assert again.name == f"{coll.name} (3)" and again.root == home / "smoke (2)"
    # A free name in a folder that is taken: the folder alone moves aside.
    (home / "other").mkdir()
    moved = create_from_postman(result, home / "other", taken_names=[])
    assert moved.root == home / "other (2)" and moved.name == coll.name
    assert len(first.requests()) == len(again.requests()) == len(coll.requests())


HAND_WRITTEN: dict[str, Any] = {
    "info": {
        "_postman_id": "0b7f8f4e-0000-4000-8000-000000000000",
        "name": "RapidPro by hand",
        "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
    },
    "item": [
        {
            "name": "Messaging",
            "item": [
                {
                    "name": "Send a broadcast",
                    "request": {
                        "method": "POST",
                        "header": [
                            {"key": "Authorization", "value": "Token {{api_token}}"},
                            {"key": "Content-Type", "value": "application/json"},
                        ],
                        "body": {
                            "mode": "raw",
                            "raw": '{\n  "text": {"eng": "Hi {{name}}"},\n  '
                            '"urns": ["tel:+250788123123"]\n}',
                        },
                        "url": {
                            "raw": "{{base_url}}/api/v2/broadcasts.json",
                            "host": ["{{base_url}}"],
                            "path": ["api", "v2", "broadcasts.json"],
                        },
                        "description": {"content": "Says hi", "type": "text/plain"},
                    },
                    "event": [
                        {
                            "listen": "test",
                            "script": {"exec": ["pm.response.to.have.status(201);"]},
                        }
                    ],
                },
                {
                    "name": "Old messages",
                    "request": {
                        "method": "GET",
                        "url": {
                            "raw": "https://app.rapidpro.io/api/v2/messages.json?folder=inbox",
                            "protocol": "https",
                            "host": ["app", "rapidpro", "io"],
                            "path": ["api", "v2", "messages.json"],
                            "query": [
                                {"key": "folder", "value": "inbox"},
                                {"key": "before", "value": "2024-01-01", "disabled": True},
                            ],
                        },
                    },
                },
                {
                    "name": "Not RapidPro",
                    "request": {"method": "GET", "url": "{{base_url}}/api/v2/nothing.json"},
                },
            ],
        },
        {
            "name": "By UUIDs",
            "request": "{{base_url}}/api/v2/contacts.json?uuid=a&uuid=b&urn=tel%3A%2B250788000001",
        },
        {
            "name": "Upload",
            "request": {
                "method": "POST",
                "url": "{{base_url}}/api/v2/media.json",
                "body": {"mode": "formdata", "formdata": [{"key": "file", "type": "file"}]},
            },
        },
    ],
    "variable": [
        {"key": "base_url", "value": "https://app.rapidpro.io"},
        {"key": "api_token", "value": "f00ba4f00ba4f00ba4f00ba4"},
        {"key": "name", "value": "Ben"},
        {"key": "unused", "value": "x", "disabled": True},
    ],
}


def test_import_of_a_hand_written_file_with_a_folder_and_variables(tmp_path: Path) -> None:
    result = parse_postman(HAND_WRITTEN)
    assert result.name == "RapidPro by hand"
    assert result.variables == {"name": "Ben"}
    assert result.base_url == "https://app.rapidpro.io"
    assert result.token == "f00ba4f00ba4f00ba4f00ba4"
    folder = result.items[0]
    assert isinstance(folder, PostmanFolder) and folder.name == "Messaging"
    pairs = {r.name: (f, r) for f, r in result.requests()}
    assert set(pairs) == {"Send a broadcast", "Old messages", "By UUIDs"}
    f, broadcast = pairs["Send a broadcast"]
    assert f == "Messaging"
    assert broadcast.draft == Draft(
        "broadcasts",
        HttpMethod.POST,
        body={"text": {"eng": "Hi {{name}}"}, "urns": ["tel:+250788123123"]},
    )
    assert broadcast.notes == "Says hi" and broadcast.expect_status == (201,)
    assert pairs["Old messages"][1].draft.params == {"folder": "inbox"}
    assert pairs["By UUIDs"][1].draft.params == {
        "uuid": ["a", "b"],
        "urn": "tel:+250788000001",
    }
    # What could not be imported is named, with the reason.
    problems = "\n".join(result.problems)
    assert "Messaging/Not RapidPro: /api/v2/nothing.json is not an endpoint" in problems
    assert "Upload: its body is formdata data" in problems
    assert "api_token holds a secret" in problems

    coll = create_from_postman(result, tmp_path / "imported")
    assert coll.problems == []
    assert [r.path for r in coll.requests()] == [
        "Messaging/send-a-broadcast.json",
        "Messaging/old-messages.json",
        "by-uuids.json",
    ]
    assert coll.variables == {"name": "Ben"}
    for file in (tmp_path / "imported").rglob("*.json"):
        assert b"f00ba4" not in file.read_bytes()
    # Importing again into the same collection merges into the existing folder.
    import_into(coll, result)
    assert len(coll.requests("Messaging")) == 4


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"info": {"name": "x"}},
        {"info": {"schema": "https://schema.getpostman.com/json/collection/v1.0.0/"}, "item": []},
    ],
)
def test_files_that_are_not_postman_v2_are_refused(data: Any) -> None:
    with pytest.raises(ValidationError):
        parse_postman(data)
