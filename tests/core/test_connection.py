"""The connection: one value for where requests go, whose token never shows."""

from __future__ import annotations

import logging

import pytest

from explorer.core.connection import Connection
from explorer.core.request import Draft, prepare


def test_a_connection_never_shows_its_token(caplog: pytest.LogCaptureFixture) -> None:
    conn = Connection("Prod", "https://rapidpro.example.org", "s3cr3t-t0ken", default_country="RW")
    logging.getLogger("test").warning("using %s / %r / %s", conn, conn, f"{conn}")
    assert "s3cr3t-t0ken" not in repr(conn) + str(conn) + caplog.text
    assert "token=<set>" in repr(conn) and "'Prod'" in repr(conn)
    assert "token=<none>" in repr(Connection("Local", "http://127.0.0.1:1", None))
    request = conn.request(prepare(Draft("contacts")))
    assert request.headers["authorization"] == "Token s3cr3t-t0ken"  # but it is sent
