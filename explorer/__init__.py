"""RapidPro Explorer: a desktop explorer for the RapidPro REST API v2."""

from __future__ import annotations

__version__ = "0.1.0"
APP_NAME = "RapidPro Explorer"
