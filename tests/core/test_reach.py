"""Counting who a request reaches, from the workspace's own group sizes (sandbox over HTTP)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from explorer.core.catalog import HttpMethod
from explorer.core.connection import Connection
from explorer.core.reach import count_reach, reaches_contacts
from explorer.core.request import Draft, prepare


def _reach(aio: Callable[..., Any], sandbox: Any, endpoint: str, body: dict[str, Any]) -> Any:
    prepared = prepare(Draft(endpoint, HttpMethod.POST, body=body), default_country="RW")
    seen: list[Any] = []

    async def go() -> Any:
        async with httpx.AsyncClient() as http:
            conn = Connection("Sandbox", sandbox.base_url, sandbox.token)
            return await count_reach(http, conn, prepared, answered=seen.append)

    return aio(go()), seen


def test_groups_by_name_or_uuid_and_contacts_once_each(aio: Any, sandbox: Any) -> None:
    headers = {"Authorization": f"Token {sandbox.token}"}
    groups = httpx.get(f"{sandbox.base_url}/api/v2/groups.json", headers=headers).json()
    size = {g["name"]: (g["uuid"], g["count"]) for g in groups["results"]}
    nurses_uuid, nurses = size["Nurses"]
    reach, seen = _reach(
        aio,
        sandbox,
        "broadcasts",
        {
            "text": {"eng": "Hi"},
            "groups": [nurses_uuid, "teachers", "Missing Group"],
            "urns": ["tel:0788123456", "tel:+250788123456"],  # one number, written twice
        },
    )
    teachers = size["Teachers"][1]
    assert [(g.name, g.count) for g in reach.groups] == [
        ("Nurses", nurses),
        ("Teachers", teachers),
        ("Missing Group", None),
    ]
    assert reach.contacts == 1 and not reach.known and len(seen) == 3
    assert reach.text() == (
        f"at least {nurses + teachers + 1:,} contacts (Nurses {nurses:,} + Teachers "
        f"{teachers:,} + Missing Group (size unknown) + 1 contact)"
    )


def test_only_sends_and_contact_actions_count_contacts(aio: Any, sandbox: Any) -> None:
    action = prepare(
        Draft(
            "contact_actions",
            HttpMethod.POST,
            body={"contacts": ["tel:+250788123456"], "action": "add", "group": "Nurses"},
        )
    )
    assert reaches_contacts(action)
    reach, seen = _reach(
        aio,
        sandbox,
        "contact_actions",
        {"contacts": ["tel:+250788123456"], "action": "add", "group": "Nurses"},
    )
    assert reach.groups == () and reach.text() == "1 contact" and seen == []
    assert not reaches_contacts(prepare(Draft("groups", HttpMethod.POST, body={"name": "X"})))
