"""Telling text from binary, and reading text files line by line without surprises."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import BinaryIO

SNIFF_BYTES = 8192
MAX_LINE_CHARS = 4000  # a longer line is cut, so one minified line cannot flood a read


def looks_binary(chunk: bytes) -> bool:
    """True when ``chunk`` (the start of a file) has NUL bytes or is not UTF-8."""
    if b"\x00" in chunk:
        return True
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(chunk, final=False)  # a character cut at the chunk's end is fine
    except UnicodeDecodeError:
        return True
    return False


def iter_lines(handle: BinaryIO, max_chars: int = MAX_LINE_CHARS) -> Iterator[tuple[str, int]]:
    """(text without its newline, bytes consumed) for each line; over-long lines are cut."""
    while True:
        raw = handle.readline(max_chars * 4)
        if not raw:
            return
        consumed = len(raw)
        cut = False
        if not raw.endswith(b"\n"):
            # Either the last line or a line longer than the read size: skip its rest.
            while True:
                more = handle.readline(65536)
                if not more:
                    break
                consumed += len(more)
                cut = True
                if more.endswith(b"\n"):
                    break
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if len(text) > max_chars:
            text, cut = text[:max_chars], True
        if cut:
            text += " …[line cut]"
        yield text, consumed
