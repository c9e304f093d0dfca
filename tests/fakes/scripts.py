"""What a fake model server should answer next: a Reply (a streamed answer) or a Failure."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """One answer, streamed (or sent whole if the request did not ask for a stream).

    ``chunks`` splits ``text`` (and ``reasoning``) into that many pieces;
    ``fragments`` splits each tool call's arguments. The "content frames" that
    ``cut_after``, ``hold_after`` and ``malformed_after`` count are the frames
    carrying reasoning, text or argument pieces.
    """

    text: str = ""
    chunks: int = 1
    reasoning: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # {"name","arguments","id"?}
    fragments: int = 1
    usage: dict[str, int] | None = field(
        default_factory=lambda: {"input_tokens": 11, "output_tokens": 7}
    )
    finish: str | None = None  # wire-native; default "stop"/"tool_calls" or "end_turn"/"tool_use"
    no_finish: bool = False  # end the stream cleanly but without a finish reason / message_stop
    delay: float = 0.0  # seconds between frames
    cut_after: int | None = None  # drop the connection after this many content frames
    malformed: bool = False  # send a frame whose JSON does not parse
    malformed_after: int = 1
    stream_error: str | None = None  # an error event in the stream, with this message...
    stream_error_after: int = 1  # ...after this many content frames (0: before any)
    hold: threading.Event | None = None  # stall until set (or until the client leaves)
    hold_after: int = 1
    hold_before_headers: bool = False  # stall before the status line instead
    reasoning_field: str = "reasoning_content"  # OpenAI only: or "reasoning"
    stalled: threading.Event = field(default_factory=threading.Event)  # set when the stall begins


@dataclass
class Failure:
    """An HTTP error answer. ``body`` replaces the wire-format error body if given."""

    status: int = 500
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


def split(text: str, pieces: int) -> list[str]:
    """``text`` in ``pieces`` nearly equal, non-empty parts (fewer if it is short)."""
    if not text:
        return []
    pieces = max(1, min(pieces, len(text)))
    size, extra = divmod(len(text), pieces)
    parts, start = [], 0
    for i in range(pieces):
        end = start + size + (1 if i < extra else 0)
        parts.append(text[start:end])
        start = end
    return parts
