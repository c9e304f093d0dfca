"""The built-in model's runtime: one child process (child.py) serving one GGUF model.

Started on first use and stopped after ``idle_seconds`` without a stream, so that the model's
memory goes back to the system; started again by the next turn. Never left behind: stopped
with Hearth (``close()``, also at interpreter exit), and after a SIGKILL of Hearth the child
sees its stdin pipe close (and on Linux the kernel kills it, PR_SET_PDEATHSIG).

The child is spawned from this module's own long-lived thread, because PR_SET_PDEATHSIG fires
when the *thread* that forked the child ends, and a run's worker thread ends with its run.

Nothing of xllamacpp is imported in Hearth's process: only the child imports it.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

IDLE_ENV = "HEARTH_LOCAL_IDLE_SECONDS"
START_TIMEOUT_ENV = "HEARTH_LOCAL_START_TIMEOUT"
CONTEXT_ENV = "HEARTH_LOCAL_CONTEXT"
DEFAULT_IDLE = 600.0
DEFAULT_START_TIMEOUT = 120.0
DEFAULT_CONTEXT = 4096
FROZEN_FLAG = "--hearth-local-runtime"


class RuntimeFailed(Exception):
    """The runtime could not start; the message is a sentence for the user."""


@dataclass(frozen=True)
class Endpoint:
    base_url: str  # http://127.0.0.1:PORT/v1
    api_key: str
    pid: int


def _env_float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def child_command() -> list[str]:
    """How to start child.py: the bundle's own executable, or this Python."""
    if getattr(sys, "frozen", False):
        return [sys.executable, FROZEN_FLAG]
    return [sys.executable, "-m", "core.agent.local.child"]


class Runtime:
    """One child process at a time, serving the model last asked for. Thread-safe."""

    def __init__(
        self,
        *,
        idle_seconds: float | None = None,
        start_timeout: float | None = None,
        context: int | None = None,
    ) -> None:
        self.idle_seconds = idle_seconds or _env_float(IDLE_ENV, DEFAULT_IDLE)
        self.start_timeout = start_timeout or _env_float(START_TIMEOUT_ENV, DEFAULT_START_TIMEOUT)
        self.context = context or int(_env_float(CONTEXT_ENV, DEFAULT_CONTEXT))
        self._cond = threading.Condition()
        self._process: subprocess.Popen | None = None
        self._endpoint: Endpoint | None = None
        self._model: Path | None = None
        self._wanted: Path | None = None
        self._starting: Path | None = None  # the model being spawned, for status()
        self._asked = 0  # start attempts asked for, and finished
        self._done = 0
        self._error: str | None = None
        self._active = 0
        self._last_used = time.monotonic()
        self._thread: threading.Thread | None = None
        self._closed = False

    # --- for the provider --------------------------------------------------------

    @contextmanager
    def using(self, model: Path) -> Iterator[Endpoint]:
        """The endpoint serving ``model``, started if needed; no idle stop while inside."""
        endpoint = self._acquire(model)
        try:
            yield endpoint
        finally:
            with self._cond:
                self._active -= 1
                self._last_used = time.monotonic()
                self._cond.notify_all()

    def is_alive(self, endpoint: Endpoint, grace: float = 0.0) -> bool:
        """Whether the process behind ``endpoint`` still runs, ``grace`` seconds on: a process
        being killed closes its sockets a moment before it can be reaped as dead."""
        with self._cond:
            process = self._process
            if process is None or self._endpoint != endpoint:
                return False
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            return True
        return False

    def forget(self, endpoint: Endpoint) -> None:
        """The process behind ``endpoint`` failed: the next use starts a new one."""
        with self._cond:
            if self._endpoint == endpoint:
                self._stop_locked()

    def status(self) -> dict[str, str | None]:
        """``{"state", "model"}`` for the UI: "starting" while a start is asked for or under
        way, "ready" while a child serves ``model`` (a file name), else "stopped"."""
        with self._cond:
            if self._asked > self._done:
                wanted = self._wanted or self._starting
                return {"state": "starting", "model": wanted.name if wanted else None}
            if self._process is not None and self._process.poll() is None and self._model:
                return {"state": "ready", "model": self._model.name}
            return {"state": "stopped", "model": None}

    @property
    def pid(self) -> int | None:
        with self._cond:
            alive = self._process is not None and self._process.poll() is None
            return self._process.pid if alive else None

    def close(self) -> None:
        """Stop the child now (Hearth is stopping); a later use starts it again."""
        with self._cond:
            self._stop_locked()
            self._cond.notify_all()

    # --- internals -----------------------------------------------------------------

    def _acquire(self, model: Path) -> Endpoint:
        deadline = time.monotonic() + self.start_timeout + 10
        with self._cond:
            self._active += 1
            try:
                self._ensure_thread()
                ticket = None
                while True:
                    if self._running() and self._model == model:
                        return self._endpoint  # type: ignore[return-value]
                    if ticket is not None and self._done >= ticket:
                        raise RuntimeFailed(self._error or "The built-in model did not start.")
                    if ticket is None:
                        self._asked += 1
                        ticket = self._asked
                        self._wanted = model
                        self._cond.notify_all()
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise RuntimeFailed(
                            f"The built-in model did not start within {self.start_timeout:.0f} "
                            "seconds. Try again, or choose a provider in Settings."
                        )
                    self._cond.wait(left)
            except BaseException:
                self._active -= 1
                raise

    def _running(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            log.warning("the built-in model's runtime ended (exit %s)", self._process.returncode)
            self._stop_locked()
        return self._process is not None

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._keep, name="hearth-local-runtime", daemon=True
            )
            self._thread.start()

    def _keep(self) -> None:
        """Start what is asked for, stop what is idle; the only thread that spawns the child."""
        with self._cond:
            while True:
                if self._wanted is not None:
                    model, self._wanted = self._wanted, None
                    if not (self._running() and self._model == model):
                        self._stop_locked()
                        self._starting = model
                        self._cond.release()
                        try:
                            started = self._spawn(model)
                        finally:
                            self._cond.acquire()
                            self._starting = None
                        self._apply(model, started)
                    self._done = self._asked
                    self._cond.notify_all()
                    continue
                if self._running() and self._active == 0:
                    left = self._last_used + self.idle_seconds - time.monotonic()
                    if left <= 0:
                        log.info("stopping the built-in model after %.0f s idle", self.idle_seconds)
                        self._stop_locked()
                        continue
                    self._cond.wait(left)
                else:
                    self._cond.wait()

    def _apply(self, model: Path, started: tuple | str) -> None:
        if isinstance(started, str):
            self._error = started
            return
        self._process, self._endpoint = started
        self._model, self._error = model, None
        self._last_used = time.monotonic()

    def _spawn(self, model: Path) -> tuple[subprocess.Popen, Endpoint] | str:
        key = secrets.token_urlsafe(32)
        errors = tempfile.TemporaryFile()  # the child's log, gone when closed
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[3])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            process = subprocess.Popen(
                child_command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=env,
                close_fds=True,
                start_new_session=True,  # a Ctrl-C in Hearth's terminal is Hearth's to handle
            )
        except OSError as exc:
            errors.close()
            return f"The built-in model could not be started: {exc}."
        process._hearth_log = errors  # type: ignore[attr-defined]
        request = {
            "model": str(model),
            "api_key": key,
            "context": self.context,
            "parent_pid": os.getpid(),
        }
        try:
            process.stdin.write((json.dumps(request) + "\n").encode())  # type: ignore[union-attr]
            process.stdin.flush()  # type: ignore[union-attr]
        except OSError:
            pass  # it died at once: the handshake below says so
        answer = _read_line(process, self.start_timeout)
        if answer is None or "port" not in answer:
            reason = (answer or {}).get("error") or _tail(errors) or "no answer"
            _end(process)
            if answer is None and process.returncode is None:
                return (
                    f"The built-in model did not start within {self.start_timeout:.0f} seconds. "
                    "Try again, or choose a provider in Settings."
                )
            return (
                f"The built-in model could not be started ({reason[-300:]}). Try again, or "
                "choose another model or a provider in Settings."
            )
        endpoint = Endpoint(f"http://127.0.0.1:{int(answer['port'])}/v1", key, process.pid)
        if not _healthy(endpoint, self.start_timeout):
            _end(process)
            return "The built-in model started but does not answer. Try again."
        log.info("built-in model %s serving on %s (pid %d)", model.name, endpoint.base_url,
                 process.pid)  # fmt: skip
        return process, endpoint

    def _stop_locked(self) -> None:
        process, self._process, self._endpoint, self._model = self._process, None, None, None
        if process is not None:
            _end(process)


def _read_line(process: subprocess.Popen, timeout: float) -> dict | None:
    """The child's one JSON line, or None when it says nothing in time or dies."""
    lines: queue.Queue[bytes] = queue.Queue()
    reader = threading.Thread(
        target=lambda: lines.put(process.stdout.readline()),  # type: ignore[union-attr]
        daemon=True,
    )
    reader.start()
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        return None
    try:
        answer = json.loads(line.decode() or "null")
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def _healthy(endpoint: Endpoint, timeout: float) -> bool:
    url = endpoint.base_url.removesuffix("/v1") + "/health"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.1)  # the server loads, then listens; a short poll until it does
    return False


def _tail(file) -> str:
    try:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(max(0, size - 2000))
        lines = file.read().decode(errors="replace").strip().splitlines()
    except (OSError, ValueError):
        return ""
    return lines[-1] if lines else ""


def _end(process: subprocess.Popen) -> None:
    """Close the child's pipe (it exits at EOF); kill it if it does not go at once."""
    try:
        process.stdin.close()  # type: ignore[union-attr]
    except OSError:
        pass
    try:
        process.wait(2)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
    for stream in (process.stdout, getattr(process, "_hearth_log", None)):
        try:
            stream.close()  # type: ignore[union-attr]
        except (OSError, AttributeError):
            pass


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def runtime() -> Runtime:
    """The process's one runtime (created, not started, on first call)."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = Runtime()
            atexit.register(_runtime.close)
        return _runtime
