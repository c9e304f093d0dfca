"""Server-sent events: a run's event log as ``text/event-stream``."""

from __future__ import annotations

import json
from collections.abc import Iterator

from core.runs.events import Event, EventLog

HEARTBEAT_S = 15.0


def format_event(event: Event) -> bytes:
    data = json.dumps(event.data, ensure_ascii=False, separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.type}\ndata: {data}\n\n".encode()


def stream(log: EventLog, after: int, heartbeat: float = HEARTBEAT_S) -> Iterator[bytes]:
    """Every event after ``after``, then the live ones; ends after the terminal event.

    A comment goes out first (so the client sees the headers at once) and then
    every ``heartbeat`` seconds without events.
    """
    yield b": hearth\nretry: 1000\n\n"
    while True:
        events, ended = log.read(after, timeout=heartbeat)
        if events:
            after = events[-1].id
            yield b"".join(format_event(e) for e in events)
        elif not ended:
            yield b": heartbeat\n\n"
        if ended:
            return
