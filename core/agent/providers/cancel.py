"""Abort one HTTP call from another thread, even while it waits for bytes.

Closing an httpx response from another thread does not wake a thread blocked in
``recv()``; shutting the socket down does. A ``CallGuard`` learns the sockets of
its call through httpcore's ``trace`` request extension (see ``http.py``) and
registers on the run's cancel token to shut them down when the run is cancelled,
for as long as the guard's ``with`` block lasts.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from core.cancel import CancelToken

_current = threading.local()


def current_guard() -> CallGuard | None:
    """The guard of the call this thread is opening, if any."""
    return getattr(_current, "guard", None)


class CallGuard:
    def __init__(self, cancel: CancelToken | None) -> None:
        self.cancel = cancel
        self._lock = threading.Lock()
        self._streams: list[Any] = []
        self._aborted = False
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def __enter__(self) -> CallGuard:
        if self.cancel is not None:
            self._unsubscribe = self.cancel.on_cancel(self.abort)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    @contextmanager
    def opening(self) -> Iterator[None]:
        """Mark this thread's next connections as belonging to this call."""
        previous = current_guard()
        _current.guard = self
        try:
            yield
        finally:
            _current.guard = previous

    def trace(self, event_name: str, info: dict[str, Any]) -> None:
        """httpcore trace callback: remember each network stream the call opens."""
        if event_name in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            self.add_stream(info.get("return_value"))

    def add_stream(self, stream: Any) -> None:
        if stream is None:
            return
        with self._lock:
            self._streams.append(stream)
            aborted = self._aborted
        if aborted:
            _shutdown(stream)

    def abort(self) -> None:
        with self._lock:
            self._aborted = True
            streams = list(self._streams)
        for stream in streams:
            _shutdown(stream)


def _shutdown(stream: Any) -> None:
    try:
        sock = stream.get_extra_info("socket")
    except Exception:
        return
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed: nothing left to wake
