"""A run's event log: what its SSE clients read, replay from an id, and wait on."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

TERMINAL_EVENTS = frozenset({"run.completed", "run.failed", "run.cancelled"})


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

    def __init__(self, first_id: int = 1) -> None:
        self._first = max(1, first_id)  # a log rebuilt after a restart continues the old ids
        self._events: list[Event] = []
        self._cond = threading.Condition()
        self.ended_at: float | None = None  # time.monotonic() of the end

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    @property
    def last_id(self) -> int:
        with self._cond:
            return self._first - 1 + len(self._events)

    def append(self, type: str, data: dict[str, Any] | None = None) -> Event:
        with self._cond:
            if self.ended_at is not None:
                raise RuntimeError("the run's event log has ended")
            event = Event(self._first + len(self._events), type, dict(data or {}))
            self._events.append(event)
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
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self._cond.wait(remaining)
            events = self._events[skip:]
            return events, self.ended_at is not None
