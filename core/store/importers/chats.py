"""What an importer hands the store: chats as trees of plain messages, cleaned for storing.

An importer reads another app's export and yields ``ImportedChat`` values; the store's
``import_chats`` writes them. Nothing here sets a session's workspace or system prompt: an
export from elsewhere never chooses where the agent works or what it is told in secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from core.store import records

TRUNCATED = "\n\n[… cut here by the import: the text was longer than Hearth keeps.]"
_SANE_YEARS = (1990, 2200)
_FRACTION = re.compile(r"\.(\d+)")


@dataclass
class ImportedMessage:
    """One message; ``key`` and ``parent`` are the export's own ids (``parent`` None for a
    first message). A parent always comes before its children in ``ImportedChat.messages``."""

    key: str
    parent: str | None
    role: str  # "user" or "assistant"
    content: str
    created_at: str
    reasoning: str | None = None
    status: str = "complete"


@dataclass
class ImportedChat:
    title: str
    created_at: str
    updated_at: str
    model: str | None
    messages: list[ImportedMessage] = field(default_factory=list)
    shown_leaf: str | None = None  # key of the last message of the shown path


class BadExport(ValueError):
    """The file cannot be imported; the message says what is wrong, in one sentence."""


def clean(value: Any, limit: int = records.MAX_CONTENT) -> str:
    """Text that the store accepts: a string, no NUL, valid Unicode, at most ``limit``."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape
        text = text.encode("utf-8", "replace").decode("utf-8")
    if len(text) > limit:
        text = text[: limit - len(TRUNCATED)] + TRUNCATED
    return text


def title(value: Any) -> str:
    return records.title(clean(value, records.MAX_TITLE * 4)[: records.MAX_TITLE])


def short(value: Any, limit: int = 300) -> str | None:
    """A short label (a model name) or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    return clean(value, limit * 4)[:limit]


def time_from_epoch(value: Any) -> str | None:
    """Seconds since 1970 (ChatGPT) as Hearth's ISO 8601 UTC; None if absent or absurd."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value) if isinstance(value, str) else None
        except ValueError:
            return None
        if value is None:
            return None
    try:
        when = datetime.fromtimestamp(float(value), timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    if not _SANE_YEARS[0] <= when.year <= _SANE_YEARS[1]:
        return None
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def time_from_iso(value: Any) -> str | None:
    """An ISO 8601 time with a zone (Claude's) as Hearth's UTC form; None if unreadable."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python 3.10 reads only 3 or 6 digits of a fraction: pad or cut to 6.
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    when = when.astimezone(timezone.utc)
    if not _SANE_YEARS[0] <= when.year <= _SANE_YEARS[1]:
        return None
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def fence(text: str, info: str = "") -> str:
    """A Markdown code fence longer than any run of backticks inside ``text``."""
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text}\n{ticks}"


def joined(*parts: str | None) -> str:
    return "\n\n".join(p for p in parts if p)
