"""Text that can always be stored and sent: valid UTF-8, no NUL.

Model output can hold lone surrogates (JSON allows "\\ud800"), file names that are not
UTF-8 arrive as surrogate escapes, and a NUL is refused by the store. Each becomes
U+FFFD where the text enters a run, so no writer (SQLite, the event stream) ever fails on it.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
_INVALID = re.compile("[\x00\ud800-\udfff]")


def valid_text(text: str) -> str:
    """``text`` with lone surrogates and NULs replaced by U+FFFD."""
    if text.isascii() and "\x00" not in text:
        return text
    return _INVALID.sub(REPLACEMENT, text)


def valid_data(value: Any) -> Any:
    """``value`` (JSON-like) with every string in it, keys included, made valid."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, dict):
        return {valid_data(k): valid_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [valid_data(v) for v in value]
    return value
