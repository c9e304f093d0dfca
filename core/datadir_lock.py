"""One Hearth process per data folder.

``hearth serve`` and the window both hold an OS lock on ``DATA/hearth.lock`` for as long as
they run, taken before they open the store or write ``server.json``. The holder writes into
the file who it is (``{"pid", "kind": "serve" | "window", "url"?, ...}``); a second process
fails to take the lock, reads that, and says which process runs there. The OS drops the lock
when a process dies, however it dies, so a lock left by a crashed process is simply taken
over (its stale contents are overwritten).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

LOCK_NAME = "hearth.lock"
_WINDOWS_LOCK_OFFSET = 1 << 30  # lock a byte far past the JSON so others can still read it


class InstanceLock:
    """An exclusive, non-blocking lock on a file, released by the OS when the process ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._info: dict[str, Any] = {}
        self._writing = threading.Lock()  # the window's thread and its server's both write

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(fd)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        self._info = {}
        return True

    def write(self, info: dict[str, Any]) -> None:
        """Say who holds the lock, replacing what was written before."""
        with self._writing:
            self._write(dict(info))

    def update(self, **fields: Any) -> None:
        """Add to what the holder wrote (say, its URL once it listens)."""
        with self._writing:
            self._write({**self._info, **fields})

    def _write(self, info: dict[str, Any]) -> None:
        assert self._fd is not None, "writing needs the lock"
        self._info = info
        data = json.dumps(info).encode()
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.ftruncate(self._fd, 0)
        os.write(self._fd, data)

    def read(self) -> dict[str, Any]:
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


def data_dir_lock(data: Path) -> InstanceLock:
    return InstanceLock(data / LOCK_NAME)


def holder(lock: InstanceLock, wait: float = 5.0, *, want: tuple[str, ...] = ("pid",)) -> dict:
    """What the process holding ``lock`` wrote, once it has written the ``want`` fields.

    The holder may still be starting (lock taken, details not yet written, or its server not
    yet listening): wait up to ``wait`` seconds for them, then return what there is.
    """
    deadline = time.monotonic() + wait
    while True:
        info = lock.read()
        if all(info.get(name) for name in want) or time.monotonic() > deadline:
            return info
        time.sleep(0.05)  # polling another process's file: there is no event to wait on


def describe_holder(info: dict[str, Any], data: Path) -> str:
    """One sentence naming the process that uses ``data``: its kind, pid and URL."""
    what = "the Hearth window" if info.get("kind") == "window" else "hearth serve"
    details = [what]
    if info.get("pid"):
        details.append(f"pid {info['pid']}")
    details.append(str(info["url"]) if info.get("url") else "still starting")
    return f"Hearth is already running on {data} ({', '.join(details)})"
