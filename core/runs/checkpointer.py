"""The checkpoint thread: saves a live run at most once an interval, and only after activity."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 1.0


class Checkpointer:
    """Calls ``save()`` every ``interval`` seconds while ``activity()`` has moved since the
    last successful save, and not otherwise.

    Create it before anything in a turn can raise, then ``start()`` it inside the
    ``try``: ``stop()`` in the ``finally`` is safe whether or not it ever started, and
    may be called more than once. A save that fails is logged and retried at the
    next tick; it never kills the thread.
    """

    def __init__(
        self,
        save: Callable[[], None],
        activity: Callable[[], int],
        interval: float = DEFAULT_INTERVAL_S,
        name: str = "checkpointer",
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._save = save
        self._activity = activity
        self.interval = interval
        self.saves = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._name = name
        self._last = activity()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the checkpointer was already started")
        self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 5.0) -> None:
        """Signal the thread and wait for it (a save in progress completes first)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            current = self._activity()
            if current == self._last:
                continue
            try:
                self._save()
            except Exception:
                self.failures += 1
                log.exception("checkpoint failed; will retry at the next tick")
                continue
            self._last = current
            self.saves += 1
