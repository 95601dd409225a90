"""One :class:`~explorer.sandbox.api.Resource` per endpoint, registered on import."""

from __future__ import annotations

from explorer.sandbox.api import REGISTRY, Resource
from explorer.sandbox.resources import contacts, flows, messaging, workspace

__all__ = ["REGISTRY", "Resource", "contacts", "flows", "messaging", "workspace"]
