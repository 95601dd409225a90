"""The sandbox over real HTTP: authentication, routing, unknown endpoints and methods."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from explorer.core.catalog import catalog
from explorer.sandbox.seed import WORKSPACE

CONTACTS = "/api/v2/contacts.json"


def test_missing_token_is_403_with_rapidpros_body(sandbox: Any, make_client: Any) -> None:
    response = make_client(sandbox, token=None).get(CONTACTS)
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_wrong_token_is_403_invalid_token(sandbox: Any, make_client: Any) -> None:
    response = make_client(sandbox, token="not-the-token").get(CONTACTS)
    assert response.status_code == 403
    assert response.json() == {"detail": "Invalid token"}


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer abc", "Authentication credentials were not provided."),
        ("Token", "Invalid token header. No credentials provided."),
        ("Token a b", "Invalid token header. Token string should not contain spaces."),
    ],
)
def test_malformed_authorization_headers(sandbox: Any, header: str, message: str) -> None:
    response = httpx.get(sandbox.base_url + CONTACTS, headers={"Authorization": header})
    assert response.status_code == 403
    assert response.json() == {"detail": message}


def test_basic_auth_takes_a_user_email_and_the_token(sandbox: Any) -> None:
    good = base64.b64encode(f"admin@sandbox.example:{sandbox.token}".encode()).decode()
    bad = base64.b64encode(b"admin@sandbox.example:nope").decode()
    assert (
        httpx.get(
            sandbox.base_url + "/api/v2/workspace.json", headers={"Authorization": f"Basic {good}"}
        ).status_code
        == 200
    )
    response = httpx.get(
        sandbox.base_url + "/api/v2/workspace.json", headers={"Authorization": f"Basic {bad}"}
    )
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "Invalid token or email"},
    )


def test_token_keyword_is_case_insensitive_and_workspace_header_is_sent(sandbox: Any) -> None:
    response = httpx.get(
        sandbox.base_url + "/api/v2/workspace.json",
        headers={"Authorization": f"token {sandbox.token}"},
    )
    assert response.status_code == 200
    assert response.headers["X-Temba-Workspace"] == WORKSPACE["uuid"]
    assert response.headers["content-type"] == "application/json"


def test_a_different_workspace_header_is_refused(api: httpx.Client) -> None:
    response = api.get(
        "/api/v2/workspace.json",
        headers={"X-Temba-Workspace": "00000000-0000-4000-8000-000000000000"},
    )
    assert response.status_code == 403


def test_unknown_endpoint_is_404_even_before_auth(sandbox: Any, make_client: Any) -> None:
    response = make_client(sandbox, token=None).get("/api/v2/classifiers.json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    ("path", "method"),
    [(e.path, m) for e in catalog() for m in ("GET", "POST", "DELETE") if not e.supports(m)],
)
def test_methods_an_endpoint_lacks_are_405(api: httpx.Client, path: str, method: str) -> None:
    response = api.request(method, path)
    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method}" not allowed.'}
    assert method not in response.headers["Allow"].split(", ")


def test_put_and_patch_are_405(api: httpx.Client) -> None:
    for method in ("PUT", "PATCH", "OPTIONS"):
        response = api.request(method, CONTACTS, json={})
        assert response.status_code == 405
        assert response.json() == {"detail": f'Method "{method}" not allowed.'}


def test_405_needs_authentication_first(sandbox: Any, make_client: Any) -> None:
    assert make_client(sandbox, token=None).delete("/api/v2/workspace.json").status_code == 403


def test_without_json_suffix_an_html_page_points_at_the_json_url(sandbox: Any) -> None:
    response = httpx.get(sandbox.base_url + "/api/v2/contacts")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert f"{sandbox.base_url}/api/v2/contacts.json" in response.text


def test_root_lists_the_endpoints_by_absolute_url(sandbox: Any) -> None:
    listing = httpx.get(sandbox.base_url + "/api/v2/").json()
    assert listing["contacts"] == f"{sandbox.base_url}/api/v2/contacts"  # as RapidPro lists it
    assert "org" not in listing  # the deprecated alias is not listed, as in RapidPro
    assert set(listing) == {e.name for e in catalog() if e.in_root_listing}


def test_invalid_json_body_is_a_400_parse_error(api: httpx.Client) -> None:
    response = api.post(
        "/api/v2/labels.json", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_a_body_that_is_not_an_object_is_refused(api: httpx.Client) -> None:
    response = api.post("/api/v2/labels.json", json=["a", "list"])
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Request body should be a single JSON object"]}


def test_head_answers_like_get_without_a_body(api: httpx.Client) -> None:
    response = api.head("/api/v2/workspace.json")
    assert response.status_code == 200
    assert response.content == b""
