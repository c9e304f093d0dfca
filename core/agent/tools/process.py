"""Running a shell command in its own process group, and killing the whole group.

The command starts in a new session (POSIX) or process group (Windows). Its output is read
by a thread into a bounded buffer (head and tail). The run's cancel token kills the group the
moment it is cancelled; the timeout is the wait's own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import psutil

from core.cancel import CancelToken
from core.paths import user_umask

DRAIN_GRACE = 0.5  # how long leftover background processes may keep the output open


@dataclass
class Finished:
    exit_code: int | None  # None when the command was killed before it exited
    output: str
    total_bytes: int
    kept_bytes: int
    timed_out: bool = False
    cancelled: bool = False
    leftovers_killed: bool = False


class OutputBuffer:
    """Keeps the first and last ``limit`` bytes of a stream and counts the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self.total = 0
        self.lock = threading.Lock()

    def add(self, chunk: bytes) -> None:
        with self.lock:
            self.total += len(chunk)
            room = self.limit - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail.append(chunk)
                self.tail_size += len(chunk)
                while self.tail and self.tail_size - len(self.tail[0]) >= self.limit:
                    self.tail_size -= len(self.tail.popleft())

    def text(self) -> tuple[str, int]:
        """The output as text, with a marker where the middle was dropped; and bytes kept."""
        with self.lock:
            head = bytes(self.head)
            tail = b"".join(self.tail)[-self.limit :] if self.tail else b""
            dropped = self.total - len(head) - len(tail)
        text = head.decode("utf-8", "replace")
        if dropped > 0:
            text += f"\n[… {dropped:,} bytes of output not kept …]\n"
        text += tail.decode("utf-8", "replace")
        return text, len(head) + len(tail)


def run_in_group(
    command: str,
    cwd: Path,
    timeout: float,
    cancel: CancelToken,
    keep_bytes: int,
    env: dict[str, str] | None = None,
) -> Finished:
    """Run ``command`` through the shell; kill its whole group on timeout or cancel."""
    kwargs: dict[str, object] = {}
    if os.name == "nt":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        kwargs["start_new_session"] = True
        kwargs["umask"] = user_umask()  # the command's files are the user's, not Hearth's
    proc = subprocess.Popen(  # noqa: S602 - running the model's shell command is the point
        command,
        shell=True,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        **kwargs,  # type: ignore[arg-type]
    )
    buffer = OutputBuffer(keep_bytes)
    reader = threading.Thread(target=_pump, args=(proc, buffer), daemon=True)
    reader.start()
    timed_out = leftovers = False
    cancelled = threading.Event()

    def stop() -> None:
        cancelled.set()
        kill_group(proc)

    unsubscribe = cancel.on_cancel(stop)
    try:
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(proc)
        if not (timed_out or cancelled.is_set()):
            reader.join(DRAIN_GRACE)
            if reader.is_alive():  # background processes still hold the output open
                leftovers = True
                kill_group(proc)
    finally:
        unsubscribe()
        if proc.poll() is None:
            kill_group(proc)
    reader.join(1.0)
    text, kept = buffer.text()
    stopped = timed_out or cancelled.is_set()
    exit_code = None if stopped else proc.returncode
    return Finished(exit_code, text, buffer.total, kept, timed_out, cancelled.is_set(), leftovers)


def _pump(proc: subprocess.Popen[bytes], buffer: OutputBuffer) -> None:
    stream = proc.stdout
    assert stream is not None
    fd = stream.fileno()
    try:
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buffer.add(chunk)
    except OSError:
        pass
    finally:
        stream.close()


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill ``proc``, its process group and every descendant, and wait for them to go."""
    members: list[psutil.Process] = []
    try:
        parent = psutil.Process(proc.pid)
        members = [parent, *parent.children(recursive=True)]
    except psutil.Error:
        pass
    members += _group_members(proc.pid, known={m.pid for m in members})
    if os.name != "nt":
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the group id is the leader's pid
        except (ProcessLookupError, PermissionError):
            pass
    for member in members:
        try:
            member.kill()
        except psutil.Error:
            pass
    _wait_gone(members, timeout=1.0)
    try:
        proc.wait(timeout=1.0)
    except subprocess.TimeoutExpired:
        pass


def _group_members(group: int, known: set[int]) -> list[psutil.Process]:
    """Processes still in the process group ``group``: once the shell has exited, its
    background children are no longer its descendants, but they keep its group."""
    if os.name == "nt":
        return []
    found = []
    for process in psutil.process_iter():
        if process.pid in known:
            continue
        try:
            if os.getpgid(process.pid) == group:
                found.append(process)
        except OSError:
            continue
    return found


def _wait_gone(members: list[psutil.Process], timeout: float) -> None:
    """Wait until every member is gone or a zombie (its parent, maybe init, reaps it)."""
    deadline = time.monotonic() + timeout
    for member in members:
        while time.monotonic() < deadline:
            try:
                if member.status() == psutil.STATUS_ZOMBIE:
                    break
            except psutil.Error:
                break
            time.sleep(0.01)
