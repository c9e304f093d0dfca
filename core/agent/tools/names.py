"""Text that can always be encoded: file names and tool output made valid UTF-8.

File names on POSIX are bytes; Python gives the ones that are not UTF-8 lone surrogates
(``surrogateescape``), and a model's JSON can hold lone surrogates too. Such text crashes
any UTF-8 writer, so it is made safe where it enters a tool's output.
"""

from __future__ import annotations


def shown_name(name: str) -> str:
    """``name`` as valid UTF-8: bytes that are not UTF-8 shown as ``\\xNN``."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        pass
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = name.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "backslashreplace")


def valid_text(text: str) -> str:
    """``text`` with anything that cannot be encoded as UTF-8 replaced by U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
