"""Timestamps as Hearth stores and shows them: ISO 8601 in UTC, fixed width, sortable."""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
