"""Each workspace's longest time for one request: saved only when changed, and checked."""

from __future__ import annotations

import json

import pytest

from explorer.core.errors import ValidationErrors
from explorer.store import paths
from explorer.store.workspaces import Workspace, WorkspaceStore


def saved_workspaces() -> list[dict[str, object]]:
    data = json.loads((paths.config_dir() / "workspaces.json").read_text("utf-8"))
    return data["workspaces"]


def test_the_deadline_is_saved_only_when_it_is_not_the_default() -> None:
    store = WorkspaceStore()
    store.add(Workspace("Usual", "https://app.rapidpro.io"))
    store.add(Workspace("Slow", "https://slow.example.org", request_deadline_s=600))
    usual, slow = saved_workspaces()
    assert "request_deadline_s" not in usual
    assert slow["request_deadline_s"] == 600
    assert WorkspaceStore().get("Slow").request_deadline_s == 600
    assert WorkspaceStore().get("Usual").request_deadline_s == 180


@pytest.mark.parametrize("value", [0, 4, 100_000, 2.5, True, "60"])
def test_a_deadline_out_of_range_is_refused_with_its_field(value: object) -> None:
    with pytest.raises(ValidationErrors) as caught:
        WorkspaceStore().add(Workspace("Bad", "https://app.rapidpro.io", request_deadline_s=value))  # type: ignore[arg-type]
    [error] = list(caught.value)
    assert error.path == ("request_deadline_s",)
    assert "whole number of seconds from 5 to 86,400" in error.message
