"""A run's event log: what its SSE clients read, replay from an id, and wait on.

Text and reasoning deltas come from a model a few characters at a time. The log keeps the
newest run of deltas of one type open (its "tail") and seals it into one event when a reader
reads it, once it is ``coalesce`` seconds old, or when another event comes: readers get at
most about 30 delta events a second however fast the model writes, and nothing but readers
does the work (no timer thread per run).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from core.text import valid_data, valid_text

TERMINAL_EVENTS = frozenset({"run.completed", "run.failed", "run.cancelled"})
DELTA_EVENTS = frozenset({"text.delta", "reasoning.delta"})
COALESCE_S = 1 / 30


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    data: dict[str, Any] = field(default_factory=dict)


class EventLog:
    """Events of one run, with ids increasing from 1; readers block until there are new ones.

    The log ends after its terminal event: ``append`` then refuses more, and readers
    that have read everything learn that nothing else will come.
    """

    def __init__(self, first_id: int = 1, coalesce: float = COALESCE_S) -> None:
        self._first = max(1, first_id)  # a log rebuilt after a restart continues the old ids
        self._events: list[Event] = []
        self._tail_type: str | None = None
        self._tail: list[str] = []
        self._tail_since = 0.0
        self._coalesce = coalesce
        self._cond = threading.Condition()
        self.ended_at: float | None = None  # time.monotonic() of the end

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    @property
    def last_id(self) -> int:
        with self._cond:
            return self._first - 1 + len(self._events)

    def emit(self, type: str, data: dict[str, Any] | None = None) -> None:
        """Add an event; a text or reasoning delta joins the open run of its type."""
        if type in DELTA_EVENTS and data is not None and set(data) == {"text"}:
            self.add_delta(type, data["text"])
        else:
            self.append(type, data)

    def add_delta(self, type: str, text: str) -> None:
        if not text:
            return
        text = valid_text(text)
        with self._cond:
            if self.ended_at is not None:
                raise RuntimeError("the run's event log has ended")
            if self._tail and self._tail_type != type:
                self._seal()
            if not self._tail:
                self._tail_type = type
                self._tail_since = time.monotonic()
                self._cond.notify_all()
            self._tail.append(text)

    def append(self, type: str, data: dict[str, Any] | None = None) -> Event:
        data = valid_data(dict(data or {}))
        with self._cond:
            if self.ended_at is not None:
                raise RuntimeError("the run's event log has ended")
            self._seal()
            event = self._add(type, data)
            if type in TERMINAL_EVENTS:
                self.ended_at = time.monotonic()
            self._cond.notify_all()
        return event

    def read(self, after: int = 0, timeout: float | None = None) -> tuple[list[Event], bool]:
        """The events after id ``after``, waiting up to ``timeout`` s for one if there are none.

        Returns ``(events, ended)``; ``ended`` is True once the reader has every event
        the log will ever hold.
        """
        skip = max(0, after - self._first + 1)
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while len(self._events) <= skip and self.ended_at is None:
                now = time.monotonic()
                if self._tail:
                    due = self._tail_since + self._coalesce - now
                    if due <= 0:
                        self._seal()
                        continue
                else:
                    due = None
                remaining = None if deadline is None else deadline - now
                if remaining is not None and remaining <= 0:
                    break
                waits = [w for w in (due, remaining) if w is not None]
                self._cond.wait(min(waits) if waits else None)
            return self._events[skip:], self.ended_at is not None

    def _seal(self) -> None:
        if self._tail:
            self._add(self._tail_type or "text.delta", {"text": "".join(self._tail)})
            self._tail = []
            self._tail_type = None

    def _add(self, type: str, data: dict[str, Any]) -> Event:
        event = Event(self._first + len(self._events), type, data)
        self._events.append(event)
        return event
