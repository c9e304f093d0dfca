"""One window per data folder, and a second launch that raises it.

The data folder's lock (``core.datadir_lock``) is held by whichever Hearth process uses the
folder, ``hearth serve`` or the window. The window writes into it, besides its pid, a loopback
port plus secret on which it listens for "show". A second ``hearth`` fails to take the lock,
reads that, asks the first window to come to the front and exits; if the holder is a
``hearth serve``, it says so instead.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable

from core.datadir_lock import LOCK_NAME, InstanceLock

__all__ = ["LOCK_NAME", "InstanceLock", "ShowServer", "ask_to_show"]

log = logging.getLogger("hearth.desktop")


class ShowServer:
    """Listens on 127.0.0.1 for ``SECRET show`` and calls ``on_show``; answers ``ok``."""

    def __init__(self, on_show: Callable[[], None]) -> None:
        self.secret = secrets.token_urlsafe(24)
        self._on_show = on_show
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(4)
        self.port: int = self._socket.getsockname()[1]
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="show-server", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return
            with conn:
                try:
                    self._answer(conn)
                except OSError:
                    pass

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(2)
        request = conn.recv(256).decode("utf-8", "replace").strip()
        secret, _, command = request.partition(" ")
        if not hmac.compare_digest(secret.encode(), self.secret.encode()) or command != "show":
            conn.sendall(b"no\n")
            return
        log.info("another launch asked this window to come to the front")
        self._on_show()
        conn.sendall(b"ok\n")

    def close(self) -> None:
        self._closed = True
        try:
            self._socket.close()
        except OSError:
            pass


def ask_to_show(lock: InstanceLock, wait: float = 10.0) -> int | None:
    """Ask the running instance to come to the front. Its pid if it answered, else None.

    The holder may still be starting (lock taken, details not yet written): wait for them.
    """
    deadline = time.monotonic() + wait
    while True:
        info = lock.read()
        if info.get("port") and info.get("secret"):
            try:
                with socket.create_connection(("127.0.0.1", int(info["port"])), timeout=3) as s:
                    s.sendall(f"{info['secret']} show\n".encode())
                    if s.recv(16).strip() == b"ok":
                        return int(info.get("pid", 0))
            except (OSError, ValueError):
                pass
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)  # polling another process's file: there is no event to wait on
