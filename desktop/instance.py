"""One window per data folder.

The first ``hearth`` holds an OS lock on ``DATA/desktop.lock`` for as long as it runs and
writes into it its pid and a loopback port plus secret on which it listens for "show".
A second ``hearth`` fails to take the lock, reads that, asks the first to come to the front
and exits. The OS drops the lock when a process dies, however it dies, so a lock left by a
crashed instance is simply taken over (its stale contents are overwritten).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("hearth.desktop")

LOCK_NAME = "desktop.lock"
_WINDOWS_LOCK_OFFSET = 1 << 30  # lock a byte far past the JSON so others can still read it


class InstanceLock:
    """An exclusive, non-blocking lock on a file, released by the OS when the process ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(fd)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def write(self, info: dict) -> None:
        assert self._fd is not None, "write() needs the lock"
        data = json.dumps(info).encode()
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.ftruncate(self._fd, 0)
        os.write(self._fd, data)

    def read(self) -> dict:
        """The holder's details: ``{}`` while it has not written them yet."""
        try:
            with open(self.path, "rb") as file:
                raw = file.read(4096)
            info = json.loads(raw.decode() or "{}")
        except (OSError, ValueError):
            return {}
        return info if isinstance(info, dict) else {}

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        except OSError:
            pass
        os.close(self._fd)  # closing drops the lock
        self._fd = None


def _lock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        os.lseek(fd, 0, os.SEEK_SET)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


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
