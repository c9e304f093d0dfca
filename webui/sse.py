"""Server-sent events: a run's event log as ``text/event-stream``, and how many may be open."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator

from core.runs.events import Event, EventLog

HEARTBEAT_S = 15.0
MAX_STREAMS_PER_CLIENT = 8
MAX_STREAMS = 40


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


class StreamSlots:
    """How many event streams may be open at once: each holds one of the server's worker
    threads for as long as it is open, so one client may hold ``per_client`` and all
    clients together ``total``, fewer than the server's threads (64), so that other
    requests are always served."""

    def __init__(self, per_client: int = MAX_STREAMS_PER_CLIENT, total: int = MAX_STREAMS) -> None:
        self.per_client = per_client
        self.total = total
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> Callable[[], None] | None:
        """A slot for ``client`` (its release function), or None when none is free."""
        with self._lock:
            if sum(self._open.values()) >= self.total:
                return None
            if self._open.get(client, 0) >= self.per_client:
                return None
            self._open[client] = self._open.get(client, 0) + 1
        released = threading.Event()

        def release() -> None:
            with self._lock:
                if released.is_set():
                    return
                released.set()
                left = self._open.get(client, 1) - 1
                if left > 0:
                    self._open[client] = left
                else:
                    self._open.pop(client, None)

        return release

    def open_count(self, client: str | None = None) -> int:
        with self._lock:
            return self._open.get(client, 0) if client else sum(self._open.values())


class Holding:
    """An iterable of response chunks that gives its slot back when the server closes it
    (the stream ended or the client went away), even if it was never iterated."""

    def __init__(self, chunks: Iterator[bytes], release: Callable[[], None]) -> None:
        self._chunks = chunks
        self._release = release

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        try:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()
        finally:
            self._release()
