"""Real faults for the fault tests: small file systems the test mounts (as root), a disk
filled to the last byte, and a look at Hearth's database from outside the server."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.conftest import HearthServer, SSEEvent, sse_events

DATABASE = "hearth.sqlite3"
TERMINAL = {"run.completed", "run.failed", "run.cancelled"}


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


def _unmount(folder: Path) -> None:
    if _run("umount", str(folder)).returncode != 0:
        _run("umount", "-l", str(folder))  # a process of the test still holds a file there


@contextlib.contextmanager
def tmpfs(folder: Path, size: str = "4m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``folder`` for the block; skips if mounting is refused."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        _unmount(folder)


class Ext4:
    """An ext4 file system on a loop device, mounted with ``errors=remount-ro``: the way a
    real disk turns read-only under a running program (open files included)."""

    def __init__(self, image: Path, folder: Path) -> None:
        self.image, self.folder = image, folder

    def mount(self) -> None:
        mounted = _run("mount", "-o", "loop,errors=remount-ro", str(self.image), str(self.folder))
        if mounted.returncode != 0:
            raise AssertionError(f"mount failed: {mounted.stderr.strip()}")

    def unmount(self) -> None:
        _unmount(self.folder)

    def fail(self) -> None:
        """Make the kernel turn the file system read-only, as after a disk error."""
        device = Path(_run("findmnt", "-n", "-o", "SOURCE", str(self.folder)).stdout.strip())
        (Path("/sys/fs/ext4") / device.name / "trigger_fs_error").write_text("hearth test")

    @property
    def read_only(self) -> bool:
        options = _run("findmnt", "-n", "-o", "OPTIONS", str(self.folder)).stdout
        flags = options.strip().split(",")
        return "ro" in flags or "emergency_ro" in flags  # ext4 says the latter after an error


@contextlib.contextmanager
def ext4(workdir: Path, size_mb: int = 32) -> Iterator[Ext4]:
    """A fresh ext4 file system mounted on ``workdir/mnt``; skips where loop mounts are refused."""
    image, folder = workdir / "disk.img", workdir / "mnt"
    folder.mkdir(parents=True, exist_ok=True)
    with open(image, "wb") as file:
        file.truncate(size_mb * 1024 * 1024)
    made = _run("mkfs.ext4", "-q", "-F", str(image))
    if made.returncode != 0:
        pytest.skip(f"cannot make an ext4 file system here: {made.stderr.strip()}")
    disk = Ext4(image, folder)
    try:
        disk.mount()
    except AssertionError as exc:
        pytest.skip(f"cannot loop-mount a file system here (needs root): {exc}")
    try:
        yield disk
    finally:
        disk.unmount()


def fill(folder: Path) -> Path:
    """Write a file in ``folder`` until the disk has no byte left; returns it."""
    filler = folder / "filler"
    block = b"\0" * 65536
    with open(filler, "wb", buffering=0) as file:
        try:
            while True:
                file.write(block)
        except OSError as exc:
            assert exc.errno == 28, exc  # ENOSPC
        try:  # the last partial block
            while True:
                file.write(b"\0" * 512)
        except OSError:
            pass
    return filler


def read_db(data_dir: Path) -> sqlite3.Connection:
    """A read-only connection to the server's database (it sees what the server committed)."""
    conn = sqlite3.connect(f"file:{data_dir / DATABASE}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    return conn


def saved_text(data_dir: Path, run_id: str) -> str:
    """The partial text the run's last checkpoint wrote."""
    with contextlib.closing(read_db(data_dir)) as conn:
        row = conn.execute("SELECT partial_text FROM runs WHERE id = ?", (run_id,)).fetchone()
    return row["partial_text"] if row else ""


def integrity(data_dir: Path) -> str:
    with contextlib.closing(read_db(data_dir)) as conn:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))


def events_until_end(hearth: HearthServer, run_id: str, on_event=None) -> list[SSEEvent]:
    """All events of the run up to its terminal one; ``on_event(event)`` hears each."""
    seen = []
    for event in sse_events(hearth.client, run_id, timeout=40):
        seen.append(event)
        if on_event is not None:
            on_event(event)
        if event.type in TERMINAL:
            break
    return seen


def assert_sentence(answer, status: int, code: str, *words: str) -> str:
    """An HTTP answer that is the JSON error ``code`` with a sentence holding ``words``."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] == code, error
    message = error["message"]
    assert "Traceback" not in answer.text and message.endswith("."), message
    for word in words:
        assert word in message.lower(), message
    return message


def messages(hearth: HearthServer, session_id: str) -> list[tuple[str, str, str]]:
    """(role, status, content) of each message the session shows."""
    return [(m["role"], m["status"], m["content"]) for m in hearth.session(session_id)["messages"]]


def words(count: int) -> str:
    return "".join(f"word{i} " for i in range(count))


def free_bytes(folder: Path) -> int:
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize
