"""Rate limiting per throttle scope, and every fault knob, seen from a client."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from explorer.sandbox.faults import Faults
from explorer.sandbox.server import SandboxServer
from explorer.sandbox.throttle import Rate

TOKEN = "limits-token"
AUTH = {"Authorization": f"Token {TOKEN}"}


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(token=TOKEN, contacts=20, rate="3/minute") as running:
        yield running


@pytest.fixture
def client(server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=10) as c:
        yield c


def test_over_the_limit_every_request_gets_429_with_retry_after(client: httpx.Client) -> None:
    assert [client.get("/api/v2/contacts.json").status_code for _ in range(3)] == [200, 200, 200]
    for _ in range(2):
        response = client.get("/api/v2/contacts.json")
        assert response.status_code == 429
        wait = int(response.headers["Retry-After"])
        assert 1 <= wait <= 60
        assert response.json() == {
            "detail": f"Request was throttled. Expected available in {wait} seconds."
        }
    # POSTs to the same scope are refused too, before their body is looked at.
    assert client.post("/api/v2/contacts.json", json={"name": "x"}).status_code == 429


def test_each_throttle_scope_counts_on_its_own(client: httpx.Client) -> None:
    for _ in range(3):
        client.get("/api/v2/contacts.json")
    assert client.get("/api/v2/contacts.json").status_code == 429
    assert client.get("/api/v2/messages.json").status_code == 200  # v2.messages
    assert client.get("/api/v2/runs.json").status_code == 200  # v2.runs
    assert client.get("/api/v2/groups.json").status_code == 200  # v2
    assert client.post("/api/v2/contact_actions.json", json={}).status_code == 400  # v2 too


def test_failed_authentication_is_not_counted(server: SandboxServer, client: httpx.Client) -> None:
    for _ in range(5):
        assert httpx.get(server.base_url + "/api/v2/contacts.json").status_code == 403
    assert client.get("/api/v2/contacts.json").status_code == 200


def test_set_rate_at_run_time_resets_the_counters(
    server: SandboxServer, client: httpx.Client
) -> None:
    for _ in range(3):
        client.get("/api/v2/workspace.json")
    assert client.get("/api/v2/workspace.json").status_code == 429
    server.set_rate("5/minute")
    assert [client.get("/api/v2/workspace.json").status_code for _ in range(6)] == [200] * 5 + [429]


def test_waiting_retry_after_seconds_is_enough(server: SandboxServer, client: httpx.Client) -> None:
    server.set_rate("2/second")
    assert [client.get("/api/v2/fields.json").status_code for _ in range(2)] == [200, 200]
    limited = client.get("/api/v2/fields.json")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert limited.json()["detail"] == "Request was throttled. Expected available in 1 second."
    time.sleep(int(limited.headers["Retry-After"]))  # what a well-behaved client does
    assert client.get("/api/v2/fields.json").status_code == 200


def test_rate_text() -> None:
    assert Rate.parse("2500/hour") == Rate(2500, 3600)
    assert (
        Rate.parse("5/s") == Rate(5, 1)
        and Rate.parse("10/minute") == Rate(10, 60)
        and Rate.parse("1/day") == Rate(1, 86400)
    )
    assert str(SandboxServer().throttle.rate) == "2500/hour"  # RapidPro's documented default
    for bad in ("", "10", "0/hour", "ten/hour", "5/fortnight"):
        with pytest.raises(ValueError, match="not a rate"):
            Rate.parse(bad)


# --- faults --------------------------------------------------------------------------------------


def test_latency(server: SandboxServer, client: httpx.Client) -> None:
    server.set_rate("1000/second")
    server.faults.latency_ms = 300
    started = time.perf_counter()
    assert client.get("/api/v2/workspace.json").status_code == 200
    assert time.perf_counter() - started >= 0.3
    server.faults.latency_ms = 0
    started = time.perf_counter()
    client.get("/api/v2/workspace.json")
    assert time.perf_counter() - started < 0.3


def test_error_rate_gives_5xx_with_html(server: SandboxServer, client: httpx.Client) -> None:
    server.set_rate("1000/second")
    server.faults.error_rate = 1.0
    response = client.get("/api/v2/contacts.json")
    assert 500 <= response.status_code < 600
    assert response.headers["content-type"].startswith("text/html") and "<h1>" in response.text
    server.faults.error_rate = 0.5
    server.faults.seed = 7
    codes = [client.get("/api/v2/workspace.json").status_code for _ in range(40)]
    assert 200 in codes and any(c >= 500 for c in codes)
    server.faults.seed = 7  # setting the seed again replays the same sequence
    assert [client.get("/api/v2/workspace.json").status_code for _ in range(40)] == codes
    server.faults.error_rate = 0
    assert client.get("/api/v2/workspace.json").status_code == 200


def test_drop_closes_the_connection_mid_body_and_writes_still_happen(
    server: SandboxServer, client: httpx.Client
) -> None:
    server.set_rate("1000/second")
    server.faults.drop_rate = 1.0
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/api/v2/contacts.json")
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/api/v2/labels.json", json={"name": "Sent Into The Void"})
    server.faults.drop_rate = 0.0
    labels = client.get("/api/v2/labels.json", params={"name": "Sent Into The Void"}).json()[
        "results"
    ]
    assert len(labels) == 1  # the server did the work; only the answer was lost


def test_malformed_json(server: SandboxServer, client: httpx.Client) -> None:
    server.set_rate("1000/second")
    server.faults.malformed_rate = 1.0
    response = client.get("/api/v2/contacts.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    server.faults.malformed_rate = 0.0
    assert client.get("/api/v2/contacts.json").json()["results"]


def test_non_json_content_type(server: SandboxServer, client: httpx.Client) -> None:
    server.set_rate("1000/second")
    server.faults.non_json_rate = 1.0
    response = client.get("/api/v2/contacts.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    server.faults.non_json_rate = 0.0
    assert client.get("/api/v2/contacts.json").headers["content-type"] == "application/json"


def test_throttle_storm(server: SandboxServer, client: httpx.Client) -> None:
    server.set_rate("1000/second")
    server.faults.throttle_storm = True
    server.faults.storm_retry_after = 30
    for path in ("/api/v2/contacts.json", "/api/v2/workspace.json"):
        response = client.get(path)
        assert (response.status_code, response.headers["Retry-After"]) == (429, "30")
        assert response.json() == {
            "detail": "Request was throttled. Expected available in 30 seconds."
        }
    server.faults.reset()
    assert client.get("/api/v2/workspace.json").status_code == 200


def test_faults_given_at_start_and_replaced_at_run_time() -> None:
    with SandboxServer(token=TOKEN, contacts=10, faults=Faults(error_rate=1.0)) as server:
        assert (
            httpx.get(server.base_url + "/api/v2/workspace.json", headers=AUTH).status_code >= 500
        )
        server.faults = Faults()
        assert (
            httpx.get(server.base_url + "/api/v2/workspace.json", headers=AUTH).status_code == 200
        )


def test_faults_leave_non_api_urls_alone(server: SandboxServer, client: httpx.Client) -> None:
    server.set_rate("1000/second")
    media = client.post(
        "/api/v2/media.json", files={"file": ("a.png", b"\x89PNG", "image/png")}
    ).json()
    server.faults.error_rate = 1.0
    assert httpx.get(media["url"]).status_code == 200
