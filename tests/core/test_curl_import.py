"""Pasting curl commands: a draft and the address; the token apart, never in the draft."""

from __future__ import annotations

import pytest

from explorer.core.catalog import HttpMethod
from explorer.core.curl_import import parse_curl
from explorer.core.errors import ValidationError
from explorer.core.request import NULL, prepare

TOKEN = "abcdef0123456789abcdef0123456789abcdef01"


def test_a_post_with_headers_query_and_json_body() -> None:
    result = parse_curl(
        "curl -sS -X POST 'https://app.rapidpro.io/api/v2/contacts.json?urn=tel:+250788123123' \\\n"
        f"  -H 'Authorization: Token {TOKEN}' \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        '  -d \'{"name": "Ben", "language": null, "groups": ["Testers"]}\''
    )
    assert result.base_url == "https://app.rapidpro.io"
    assert result.token == TOKEN
    assert TOKEN not in repr(result)
    draft = result.draft
    assert (draft.endpoint, draft.method) == ("contacts", HttpMethod.POST)
    assert draft.params == {"urn": "tel:+250788123123"}  # '+' is kept, not turned into a space
    assert draft.body == {"name": "Ben", "language": NULL, "groups": ["Testers"]}
    assert TOKEN not in repr(draft)
    assert prepare(draft).query == (("urn", "tel:+250788123123"),)


def test_a_get_with_a_repeated_list_parameter_and_a_bool() -> None:
    result = parse_curl(
        "curl https://rapidpro.example.org/prefix/api/v2/runs.json"
        "?flow=5b0e8b8a-1234-4e5f-9a7b-000000000001&responded=true&reverse=false"
    )
    assert result.base_url == "https://rapidpro.example.org/prefix"
    assert result.token is None
    assert result.draft.params == {
        "flow": "5b0e8b8a-1234-4e5f-9a7b-000000000001",
        "responded": True,
        "reverse": False,
    }
    uuids = parse_curl(
        "curl 'https://app.rapidpro.io/api/v2/contacts.json?uuid=a&uuid=b' -X DELETE"
    )
    assert uuids.draft.method is HttpMethod.DELETE


@pytest.mark.parametrize(
    ("command", "method", "params", "body"),
    [
        (
            "curl -G -d uuid=abc http://127.0.0.1:8000/api/v2/groups.json",
            "GET",
            {"uuid": "abc"},
            {},
        ),
        (
            'curl --json \'{"name": "Testers"}\' http://localhost:8000/api/v2/groups.json',
            "POST",
            {},
            {"name": "Testers"},
        ),
        (
            'curl --data-raw \'{"name":"A"}\' --url http://127.0.0.1:1/api/v2/groups.json',
            "POST",
            {},
            {"name": "A"},
        ),
        (
            "curl -XPOST -d name=Testers http://127.0.0.1/api/v2/groups.json",
            "POST",
            {},
            {"name": "Testers"},
        ),
        ("curl --request=GET -sSL -k http://127.0.0.1/api/v2/groups.json", "GET", {}, {}),
        (
            'curl.exe -H "Authorization: Token $RAPIDPRO_TOKEN" ^\n'
            ' "{{base_url}}/api/v2/groups.json?name=A"',
            "GET",
            {"name": "A"},
            {},
        ),
    ],
)
def test_curl_variants(command: str, method: str, params: dict, body: dict) -> None:
    result = parse_curl(command)
    assert result.draft.method.value == method
    assert result.draft.params == params
    assert result.draft.body == body
    assert result.token is None


def test_placeholders_and_unsafe_addresses() -> None:
    templ = parse_curl(
        'curl "{{base_url}}/api/v2/contacts.json" -H "Authorization: Token {{token}}"'
    )
    assert templ.base_url is None and templ.token is None
    assert any("placeholder" in n for n in templ.notes)
    clear = parse_curl(
        f"curl http://rapidpro.example.org/api/v2/contacts.json -H 'Authorization: Token {TOKEN}'"
    )
    assert clear.base_url is None  # plain http to another machine: the token would leak
    assert any("plain http" in n for n in clear.notes)
    assert clear.token == TOKEN


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "paste a curl command"),
        ("wget https://app.rapidpro.io/api/v2/contacts.json", "not a curl command"),
        ("curl -s", "no URL"),
        ("curl 'https://app.rapidpro.io/api/v2/contacts.json", "quote"),
        ("curl https://app.rapidpro.io/api/v2/contact.json", "did you mean contacts"),
        ("curl https://example.org/index.html", "not an address of the RapidPro API"),
        ("curl -X PUT https://app.rapidpro.io/api/v2/contacts.json", "PUT is not a method"),
        ("curl -X POST https://app.rapidpro.io/api/v2/workspace.json", "does not accept POST"),
        ("curl -d '{\"name\": ' https://app.rapidpro.io/api/v2/groups.json", "not a JSON object"),
        ("curl -d @body.json https://app.rapidpro.io/api/v2/groups.json", "paste the JSON"),
        ("curl -F file=@a.png https://app.rapidpro.io/api/v2/media.json", "uploads"),
        ("curl -H Authorization https://app.rapidpro.io/api/v2/groups.json", "no ':'"),
        ("curl https://a.org/api/v2/groups.json https://b.org/api/v2/groups.json", "two URLs"),
    ],
)
def test_garbage_gives_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_curl(text)
