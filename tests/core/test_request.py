"""Building requests: what reaches the wire, and every problem reported before sending."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer import __version__
from explorer.core.catalog import HttpMethod, catalog
from explorer.core.errors import ValidationError, ValidationErrors
from explorer.core.request import (
    NULL,
    Draft,
    Upload,
    build_follow_request,
    build_request,
    normalize_base_url,
    prepare,
    preview_text,
    same_origin,
)

GET, POST, DELETE = HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE
BASE = "https://app.rapidpro.io"
CONTACT = "09d23a05-47fe-11e4-bfe9-b8f6b119e9ab"


def errors_of(draft: Draft, **kw: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationErrors) as info:
        prepare(draft, **kw)
    out: dict[str, list[str]] = {}
    for e in info.value:
        out.setdefault(str(e.path[0]) if e.path else "", []).append(e.message)
    return out


def test_get_builds_json_url_with_encoded_urn_and_auth() -> None:
    prepared = prepare(Draft("contacts", GET, {"urn": "tel:+250788123123", "deleted": False}))
    request = build_request(BASE, "secret-token", prepared)
    assert request.method == "GET"
    assert request.url.path == "/api/v2/contacts.json"
    # The + of an E.164 number must not arrive as a space: it is percent-encoded, as is ':'.
    assert b"urn=tel%3A%2B250788123123" in request.url.raw_path
    assert b"deleted=false" in request.url.raw_path
    assert request.headers["Authorization"] == "Token secret-token"
    assert request.headers["User-Agent"].startswith(f"RapidPro-Explorer/{__version__}")
    assert request.content == b""


def test_local_number_normalised_with_default_country() -> None:
    prepared = prepare(Draft("contacts", GET, {"urn": "tel:0788 123 123"}), default_country="RW")
    assert prepared.query == (("urn", "tel:+250788123123"),)


def test_repeated_params_for_lists() -> None:
    uuids = ["5a4eb79e-1b1f-4ae3-8700-09384cca385f", "6a4eb79e-1b1f-4ae3-8700-09384cca385f"]
    prepared = prepare(Draft("users", GET, {"uuid": uuids, "role": "editor"}))
    request = build_request(BASE, None, prepared)
    assert request.url.params.get_list("uuid") == uuids
    assert "Authorization" not in request.headers


def test_datetime_params_sent_in_rapidpro_format() -> None:
    prepared = prepare(Draft("messages", GET, {"after": "2026-03-01T10:00:00+02:00"}))
    assert dict(prepared.query)["after"] == "2026-03-01T08:00:00.000000Z"


def test_post_body_is_json_with_normalised_values() -> None:
    draft = Draft(
        "contacts",
        POST,
        body={
            "name": "Ben Haggerty",
            "language": "FRA",
            "urns": ["tel:+250 788 123 123", "mailto:Ben@Example.com"],
            "groups": ["Reporters"],
            "fields": {"nickname": "Macklemore", "age": None},
        },
    )
    request = build_request(BASE, "t", prepare(draft))
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {
        "name": "Ben Haggerty",
        "language": "fra",
        "urns": ["tel:+250788123123", "mailto:ben@example.com"],
        "groups": ["Reporters"],
        "fields": {"nickname": "Macklemore", "age": None},
    }


def test_every_problem_reported_at_once_per_field() -> None:
    errs = errors_of(
        Draft(
            "contacts",
            POST,
            params={"uuid": "not-a-uuid"},
            body={"urns": ["tel:0788123123"], "language": "zz", "name": "x" * 65, "nmae": "Ben"},
        )
    )
    assert set(errs) == {"uuid", "urns", "language", "name", "nmae"}
    assert "add the country code" in errs["urns"][0]
    assert "did you mean name?" in errs["nmae"][0]
    assert "64" in errs["name"][0]


def test_required_fields_differ_on_create_and_update() -> None:
    # Creating a group needs a name; so does updating one.
    assert "name" in errors_of(Draft("groups", POST))
    assert "name" in errors_of(Draft("groups", POST, {"uuid": CONTACT}))
    # A global's name is required on create but not on update (the key comes from the URL).
    assert set(errors_of(Draft("globals", POST, body={"value": "x"}))) == {"name"}
    assert prepare(Draft("globals", POST, {"key": "org_name"}, {"value": "x"})).json_body == {
        "value": "x"
    }


def test_delete_needs_one_lookup_and_only_one() -> None:
    assert errors_of(Draft("contacts", DELETE))
    errs = errors_of(Draft("contacts", DELETE, {"uuid": CONTACT, "urn": "tel:+250788123123"}))
    assert "urn" in errs and "only one of" in errs["urn"][0]
    assert prepare(Draft("contacts", DELETE, {"uuid": CONTACT})).json_body is None


def test_exclusive_filters_refused_together() -> None:
    errs = errors_of(Draft("messages", GET, {"contact": CONTACT, "folder": "inbox"}))
    assert "only one of" in errs["folder"][0]


def test_bulk_action_needs_and_forbids() -> None:
    contacts = [CONTACT]
    assert "group" in errors_of(
        Draft("contact_actions", POST, body={"contacts": contacts, "action": "add"})
    )
    errs = errors_of(
        Draft("contact_actions", POST, body={"contacts": contacts, "action": "block", "group": "X"})
    )
    assert "left empty" in errs["group"][0]
    ok = prepare(
        Draft("contact_actions", POST, body={"contacts": contacts, "action": "add", "group": "X"})
    )
    assert ok.json_body == {"contacts": contacts, "action": "add", "group": "X"}
    assert errors_of(Draft("message_actions", POST, body={"messages": [1], "action": "label"}))


def test_cross_field_rules() -> None:
    errs = errors_of(
        Draft("broadcasts", POST, body={"text": {"eng": "Hi"}, "base_language": "fra"})
    )
    assert "urns" in errs  # who gets it?
    assert "base_language" in errs
    assert "text" in errors_of(Draft("messages", POST, body={"contact": CONTACT}))
    ok = prepare(Draft("broadcasts", POST, body={"text": "Hello", "urns": ["tel:+250788123123"]}))
    assert ok.json_body == {"text": "Hello", "urns": ["tel:+250788123123"]}


def test_translations_keys_follow_the_strict_rule() -> None:
    errs = errors_of(
        Draft("broadcasts", POST, body={"text": {"ace": "Halo"}, "groups": ["Reporters"]})
    )
    assert "text" in errs
    ok = prepare(Draft("broadcasts", POST, body={"text": {"kin": "Muraho"}, "groups": ["R"]}))
    assert ok.json_body is not None and ok.json_body["text"] == {"kin": "Muraho"}


def test_null_is_sent_only_when_asked() -> None:
    body = prepare(
        Draft("contacts", POST, {"uuid": CONTACT}, {"name": NULL, "language": ""})
    ).json_body
    assert body == {"name": None}
    assert "offset" in errors_of(
        Draft("campaign_events", POST, {"uuid": CONTACT}, {"offset": NULL})
    )


def test_unknown_endpoint_and_method() -> None:
    assert errors_of(Draft("contactz", GET))
    assert "does not accept DELETE" in errors_of(Draft("flows", DELETE))[""][0]


def test_media_upload_is_multipart(tmp_path: Any) -> None:
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    prepared = prepare(Draft("media", POST, body={"file": str(image)}))
    request = build_request(BASE, "t", prepared)
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    request.read()
    assert b'filename="photo.png"' in request.content and b"image/png" in request.content
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    assert "file" in errors_of(Draft("media", POST, body={"file": str(script)}))
    assert "file" in errors_of(Draft("media", POST, body={"file": str(tmp_path / "missing.png")}))
    huge = Upload("big.png", b"0" * (25 * 1024 * 1024 + 1), "image/png")
    assert "25 MB" in errors_of(Draft("media", POST, body={"file": huge}))["file"][0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://app.rapidpro.io", "https://app.rapidpro.io"),
        ("app.rapidpro.io/", "https://app.rapidpro.io"),
        ("https://textit.com/api/v2/", "https://textit.com"),
        ("HTTPS://TextIt.com:8443", "https://textit.com:8443"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://localhost:8000/", "http://localhost:8000"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_base_urls_accepted(text: str, expected: str) -> None:
    assert normalize_base_url(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("http://app.rapidpro.io", "plain http"),
        ("http://192.168.1.10", "plain http"),
        ("ftp://app.rapidpro.io", "not a web address"),
        ("", "Enter"),
        ("https://x.io?a=1", "without"),
        ("https://x.io:99999", "port"),
    ],
)
def test_base_urls_refused(text: str, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        normalize_base_url(text)


def test_page_links_followed_only_on_the_workspace_origin() -> None:
    ok = build_follow_request(f"{BASE}/api/v2/contacts.json?cursor=abc", BASE, "tok")
    assert ok.headers["Authorization"] == "Token tok"
    for elsewhere in (
        "https://evil.example/api/v2/contacts.json?cursor=abc",
        "http://app.rapidpro.io/api/v2/contacts.json",  # downgraded scheme
        "https://app.rapidpro.io:444/api/v2/contacts.json",
    ):
        assert not same_origin(elsewhere, BASE)
        with pytest.raises(ValidationError, match="not sent to another host"):
            build_follow_request(elsewhere, BASE, "tok")


def test_preview_is_the_request_sent_with_the_token_masked() -> None:
    prepared = prepare(Draft("contacts", POST, {"urn": "tel:+250788123123"}, {"name": "Ben"}))
    request = build_request(BASE, "very-secret", prepared)
    lines = preview_text(BASE, prepared).splitlines()
    assert lines[0] == f"POST {request.url}"
    blank = lines.index("")
    shown = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:blank])}
    sent = {k.lower(): v for k, v in request.headers.items() if k.lower() != "host"}
    assert shown.pop("authorization") == "Token $RAPIDPRO_TOKEN"
    assert sent.pop("authorization") == "Token very-secret"
    assert shown == sent
    assert json.loads("\n".join(lines[blank + 1 :])) == json.loads(request.content)


def test_every_catalog_example_builds() -> None:
    """The examples the docs pane shows must themselves pass validation."""
    failures = []
    for endpoint in catalog():
        for method in endpoint.methods:
            params = {p.name: p.example for p in method.form_params if p.example is not None}
            # one lookup at a time, as RapidPro insists
            for p in method.lookup_params[1:]:
                params.pop(p.name, None)
            for group in (endpoint.exclusive_params,):
                for name in group[1:]:
                    params.pop(name, None)
            body = {f.name: f.example for f in method.fields if f.example is not None}
            if method.is_bulk_action:
                action = method.action(body.get("action", ""))
                for name in action.forbids if action else ():
                    body.pop(name, None)
            if endpoint.name == "media":
                body["file"] = Upload("a.png", b"x", "image/png")
            if endpoint.name in ("campaign_events",):
                body.pop("flow", None)
            if endpoint.name == "message_actions":
                body.pop("label_name", None)
            for deprecated in [f.name for f in method.fields if f.deprecated]:
                body.pop(deprecated, None)
            try:
                prepare(Draft(endpoint.name, method.method, params, body))
            except ValidationErrors as exc:
                failures.append(f"{endpoint.name} {method.method}: {exc.summary()}")
    assert not failures, "\n".join(failures)


@settings(max_examples=150, deadline=None)
@given(
    params=st.dictionaries(
        st.sampled_from(["uuid", "urn", "group", "deleted", "before", "after", "bogus"]),
        st.one_of(st.text(max_size=30), st.integers(), st.booleans(), st.none()),
        max_size=4,
    )
)
def test_any_input_either_builds_or_says_why(params: dict[str, Any]) -> None:
    try:
        prepared = prepare(Draft("contacts", GET, params))
    except ValidationErrors as exc:
        assert all(e.message for e in exc)
        return
    request = build_request(BASE, "t", prepared)
    assert isinstance(request, httpx.Request)


def test_declared_cross_field_rules_name_real_fields() -> None:
    for endpoint in catalog():
        for method in endpoint.methods:
            names = {f.name for f in method.fields}
            for group in (*method.one_of, *method.exactly_one_of, *method.not_together):
                assert set(group) <= names, f"{endpoint.name} {method.method}: {group}"


def test_campaign_event_takes_a_message_or_a_flow_not_both() -> None:
    base = {
        "campaign": "f14e4ff0-724d-43fe-a953-1d16aefd1c00",
        "relative_to": "joined_on",
        "offset": 1,
        "unit": "days",
        "delivery_hour": -1,
    }
    assert "message" in errors_of(Draft("campaign_events", POST, body=base))
    both = {**base, "message": "Hi", "flow": "f5901b62-ba76-4003-9c62-72fdacc1b7b7"}
    assert "not both" in errors_of(Draft("campaign_events", POST, body=both))["flow"][0]
    assert prepare(Draft("campaign_events", POST, body={**base, "message": "Hi"}))


def test_a_bad_translation_is_named_and_not_called_missing() -> None:
    """Text given under a wrong language code is given: only the code is wrong."""
    with pytest.raises(ValidationErrors) as caught:
        prepare(
            Draft(
                "broadcasts",
                HttpMethod.POST,
                body={"text": {"english": "Hi"}, "urns": ["tel:+250788123123"]},
            )
        )
    messages = [(e.path, e.message) for e in caught.value]
    assert messages == [
        (("text", "english"), '"english" is not an ISO-639-3 language code, e.g. eng, fra, kin')
    ]
