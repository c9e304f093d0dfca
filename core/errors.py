"""Errors the domain raises on purpose, each with a stable code and a sentence for people.

The HTTP layer turns them into ``{"error": {"code", "message"}}``; nothing else
about them is web-specific.
"""

from __future__ import annotations


class HearthError(Exception):
    code = "hearth_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(HearthError):
    """The caller sent something Hearth cannot accept (a bad id, a wrong type)."""

    code = "invalid_input"


class NotFound(HearthError):
    """No session, message or run has that id."""

    code = "not_found"


class Conflict(HearthError):
    """The request clashes with the current state (say, a run is already live)."""

    code = "conflict"


class StoreError(HearthError):
    """The database file cannot be used; the message names the file."""

    code = "store_unavailable"
