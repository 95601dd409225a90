"""{{variables}} in parameters and body values: filled in, or flagged before sending."""

from __future__ import annotations

import re

import pytest

from explorer.core.catalog import HttpMethod
from explorer.core.errors import ValidationErrors
from explorer.core.request import NULL, Draft, prepare
from explorer.core.variables import (
    check_variables,
    names_in,
    resolve_draft,
    resolve_value,
    scope,
    unresolved,
)


def test_variables_are_filled_in_params_and_nested_body_values() -> None:
    draft = Draft(
        "broadcasts",
        HttpMethod.POST,
        body={
            "text": {"eng": "Hello {{ who }}, from {{org}}", "fra": "Bonjour {{who}}"},
            "urns": ["tel:{{phone}}", "{{second}}"],
            "groups": [],
            "base_language": "eng",
        },
    )
    values = {
        "who": "Ben",
        "org": "Nyaruka",
        "phone": "+250788123123",
        "second": "tel:+250788000001",
    }
    done = resolve_draft(draft, values)
    assert done.body["text"] == {"eng": "Hello Ben, from Nyaruka", "fra": "Bonjour Ben"}
    assert done.body["urns"] == ["tel:+250788123123", "tel:+250788000001"]
    assert draft.body["urns"] == ["tel:{{phone}}", "{{second}}"]  # the draft is not changed
    assert prepare(done).json_body == {
        "text": {"eng": "Hello Ben, from Nyaruka", "fra": "Bonjour Ben"},
        "urns": ["tel:+250788123123", "tel:+250788000001"],
        "base_language": "eng",
    }


def test_a_value_that_is_only_a_variable_takes_the_variable_as_it_is() -> None:
    assert resolve_value("{{limit}}", {"limit": 5}) == 5
    assert resolve_value("page {{limit}}", {"limit": 5}) == "page 5"
    assert resolve_value("{{flag}} and {{flag}}", {"flag": True}) == "true and true"
    assert resolve_value(NULL, {}) is NULL
    assert resolve_value(["{{a}}", {"k": "{{a}}"}], {"a": "x"}) == ["x", {"k": "x"}]


def test_base_url_and_scopes() -> None:
    values = scope({"group": "Testers", "n": "1"}, {"group": "Prod"}, base_url="https://x.org")
    assert values == {"group": "Prod", "n": "1", "base_url": "https://x.org"}
    assert resolve_value("{{base_url}}/api/v2/", values) == "https://x.org/api/v2/"


def test_generated_values() -> None:
    one = resolve_value("{{$guid}}", {})
    assert re.fullmatch(r"[0-9a-f-]{36}", one) and one != resolve_value("{{$guid}}", {})
    assert resolve_value("{{$timestamp}}", {}).isdigit()
    assert resolve_value("{{$isoTimestamp}}", {}).endswith("Z")
    assert 0 <= int(resolve_value("{{$randomInt}}", {})) <= 1000


def test_unresolved_names_are_flagged_per_field_before_sending() -> None:
    draft = Draft(
        "contacts",
        HttpMethod.POST,
        params={"urn": "tel:{{phone}}"},
        body={"name": "{{first}} {{last}}", "groups": ["{{group}}", "Known {{known}}"]},
    )
    errors = unresolved(draft, {"known": "yes", "last": "H"})
    assert [(e.path, e.message.split(",")[0]) for e in errors] == [
        (("urn",), "uses {{phone}}"),
        (("name",), "uses {{first}}"),
        (("groups", 0), "uses {{group}}"),
    ]
    with pytest.raises(ValidationErrors) as info:
        resolve_draft(draft, {})
    assert info.value.for_field("urn") == [
        "uses {{phone}}, which has no value: set it in the collection's variables or the "
        "workspace's environment"
    ]
    assert "{{first}}, {{last}}" in info.value.for_field("name")[0]
    assert names_in(draft.body) == ["first", "last", "group", "known"]


def test_variable_names_and_secrets_are_checked() -> None:
    check_variables({"group_name": "x", "page.size": 2, "token": ""})
    for bad in ({"token": "abc"}, {"API_KEY": "k"}, {"my password": "x"}, {"base_url": "u"}):
        with pytest.raises(ValidationErrors):
            check_variables(bad)
