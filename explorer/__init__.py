"""RapidPro Explorer: a desktop explorer for the RapidPro REST API v2."""

from __future__ import annotations

__version__ = "0.1.0"
APP_NAME = "RapidPro Explorer"
SANDBOX_WORKSPACE_NAME = "Sandbox (local demo data)"
"""The built-in sandbox as the workspace selector names it."""
