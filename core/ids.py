"""Ids for sessions, messages and runs: new ones, and checks on ones that come in."""

from __future__ import annotations

import re
import uuid

from core.errors import InvalidInput

MAX_ID_LENGTH = 64
_ID = re.compile(r"[A-Za-z0-9_-]+")


def new_id() -> str:
    return uuid.uuid4().hex


def check_id(value: object, what: str = "id") -> str:
    """Return ``value`` if it is a plausible id, else raise InvalidInput.

    Ids are letters, digits, ``-`` and ``_`` only, at most 64 of them: nothing
    path-like (``/``, ``\\``, ``..``), no control characters, nothing huge.
    """
    if not isinstance(value, str):
        raise InvalidInput(f"The {what} must be a string.")
    if not value or len(value) > MAX_ID_LENGTH or not _ID.fullmatch(value):
        shown = value[:20] + ("…" if len(value) > 20 else "")
        raise InvalidInput(f"{shown!r} is not a valid {what}.")
    return value
