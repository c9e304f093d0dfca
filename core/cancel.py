"""One cancel token per run: whoever can stop part of the run registers how, once.

The provider stream registers "shut my socket", a running command "kill my process group",
a waiting approval "settle me as cancelled". ``cancel()`` calls each of them at once, in the
thread that cancels, so nothing has to poll. A callback registered after the cancel runs
immediately. The token also answers ``is_set()`` and ``wait()`` like a ``threading.Event``,
for loops that check it between steps.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._next = 0

    def is_set(self) -> bool:
        return self._event.is_set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)

    def cancel(self) -> None:
        """Cancel (idempotent): every registered callback runs once, in this thread."""
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks, self._callbacks = list(self._callbacks.values()), {}
        for callback in callbacks:
            _call(callback)

    set = cancel  # the threading.Event spelling

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` on cancel (at once if already cancelled); returns an unsubscribe."""
        with self._lock:
            if not self._event.is_set():
                key = self._next
                self._next += 1
                self._callbacks[key] = callback
                return lambda: self._forget(key)
        _call(callback)
        return lambda: None

    def _forget(self, key: int) -> None:
        with self._lock:
            self._callbacks.pop(key, None)


def on_cancel(token: object, callback: Callable[[], None]) -> Callable[[], None]:
    """Register ``callback`` on ``token`` if it is a CancelToken; a plain Event gets none."""
    if isinstance(token, CancelToken):
        return token.on_cancel(callback)
    return lambda: None


def _call(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception:
        log.exception("a cancel callback failed")
