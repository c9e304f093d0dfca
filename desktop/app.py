"""``hearth`` with no command: the server in a thread of this process, and the window on it."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import sys
import threading
import time

from core.datadir_lock import describe_holder, holder
from core.paths import Paths, PathsError
from desktop import instance, preflight

log = logging.getLogger("hearth.desktop")

EXIT_NO_WINDOW = 3  # no display or no GUI toolkit: `hearth serve` still works
SERVER_START_TIMEOUT = 60.0
SERVER_STOP_TIMEOUT = 15.0


class _ReadyLine:
    """The ``out`` that ``serve()`` prints its sign-in URL to: waits for that line."""

    def __init__(self) -> None:
        self.line = ""
        self.written = threading.Event()

    def write(self, text: str) -> int:
        self.line += text
        if "\n" in self.line:
            self.written.set()
        return len(text)

    def flush(self) -> None:
        pass


class ServerThread:
    """``webui.server.serve`` on a thread, stopped by its ``stop`` event."""

    def __init__(self, paths: Paths, token: str, lock: instance.InstanceLock) -> None:
        self.token = token
        self.lock = lock
        # The window's actions for the page (POST /api/desktop/<action>), filled once the
        # window exists; the server reads the mapping at each request.
        self.desktop_actions: dict = {}
        self.stop = threading.Event()
        self.error: str | None = None
        self._out = _ReadyLine()
        self._thread = threading.Thread(target=self._serve, args=(paths,), name="server")
        self._finished = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def _serve(self, paths: Paths) -> None:
        from webui.server import ServeError, serve

        try:
            serve(
                paths,
                "127.0.0.1",
                0,
                self.token,
                env=dict(os.environ),
                out=self._out,
                stop=self.stop,
                lock=self.lock,
                desktop=self.desktop_actions,
            )
        except ServeError as exc:
            self.error = str(exc)
        except Exception as exc:  # logged in full; the user gets one line
            log.exception("the server failed")
            self.error = f"the server failed: {exc}"
        finally:
            self._finished.set()
            self._out.written.set()

    def wait_url(self, timeout: float) -> str | None:
        """The server's base URL once it listens; None if it failed or took too long."""
        self._out.written.wait(timeout)
        line = self._out.line.strip()
        if self.error or not line:
            return None
        return line.split("/?token=")[0]

    def shutdown(self) -> None:
        self.stop.set()
        self._thread.join(SERVER_STOP_TIMEOUT)


def run_window(data_dir: str | None = None) -> int:
    started_at = _process_start_time()
    problem = preflight.problem()
    if problem:
        print(f"hearth: {problem} {preflight.SERVE_HINT}", file=sys.stderr, flush=True)
        return EXIT_NO_WINDOW
    try:
        paths = Paths.resolve(data_dir).create()
    except PathsError as exc:
        print(f"hearth: {exc}", file=sys.stderr, flush=True)
        return 1

    lock = instance.InstanceLock(paths.data / instance.LOCK_NAME)
    if not lock.acquire():
        return _hand_off(lock, paths)

    if _is_root():  # Chromium's sandbox refuses to run as root
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    signals = _SignalWatcher()  # before any thread starts, so every thread inherits the mask
    window = None
    shower = instance.ShowServer(on_show=lambda: window and window.bring_to_front())
    info = {"pid": os.getpid(), "kind": "window", "port": shower.port, "secret": shower.secret}
    lock.write(info)  # before the server thread adds its URL
    server = ServerThread(paths, secrets.token_urlsafe(32), lock)
    server.start()
    try:
        # pywebview and Qt import here, while the server starts on its thread
        from desktop.window import HearthWindow

        signals.on_signal = server.stop.set
        url = server.wait_url(SERVER_START_TIMEOUT)
        if signals.received:
            return 128 + signals.received
        if url is None:
            reason = server.error or "the server did not start in time"
            print(f"hearth: {reason}", file=sys.stderr, flush=True)
            return 1
        window = HearthWindow(paths, url, server.token, started_at)
        server.desktop_actions.update(window.actions())
        try:
            window.create()
            signals.on_signal = window.quit_now
            log.info("opening the window on %s", url)
            window.run()
        except Exception as exc:  # the toolkit failed: the details go to the log
            log.exception("the window could not open")
            print(
                f"hearth: the window could not open ({type(exc).__name__}: {exc});"
                f" details are in {paths.logs / 'server.log'}. {preflight.SERVE_HINT}",
                file=sys.stderr,
                flush=True,
            )
            return 1
        log.info("the window closed")
        return 0
    finally:
        signals.on_signal = None
        server.shutdown()
        shower.close()
        lock.release()
        signals.restore()


def _hand_off(lock: instance.InstanceLock, paths: Paths) -> int:
    """Another process uses this data folder: raise its window, or say which it is."""
    info = holder(lock, wait=10.0)
    if info.get("kind") == "serve":
        info = holder(lock, want=("pid", "url"))
        print(
            f"hearth: {describe_holder(info, paths.data)}; open it in a browser,"
            " or stop it first to use the window.",
            file=sys.stderr,
            flush=True,
        )
        return 1
    pid = instance.ask_to_show(lock)
    if pid is None:
        print(
            f"hearth: Hearth is already running on {paths.data} but does not answer;"
            " close it (or end its process) and try again.",
            file=sys.stderr,
            flush=True,
        )
        return 1
    print(
        f"Hearth is already running (pid {pid}): its window was brought to the front.",
        flush=True,
    )
    return 0


class _SignalWatcher:
    """SIGINT/SIGTERM/SIGHUP → ``on_signal`` (close the window), even while Qt's loop runs.

    Python runs signal handlers only between bytecodes of the main thread, which sits in the
    GUI's C++ loop; so the signals are blocked and a thread waits for them instead.
    """

    SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")

    def __init__(self) -> None:
        self.on_signal = None
        self.received = 0
        self._signals = {getattr(signal, n) for n in self.SIGNALS if hasattr(signal, n)}
        self._active = hasattr(signal, "pthread_sigmask") and hasattr(signal, "sigwait")
        if not self._active:
            return
        signal.pthread_sigmask(signal.SIG_BLOCK, self._signals)
        threading.Thread(target=self._wait, name="signals", daemon=True).start()

    def _wait(self) -> None:
        while True:
            signum = signal.sigwait(self._signals)
            log.info("received %s: closing", signal.Signals(signum).name)
            self.received = signum
            action = self.on_signal
            if action is None:
                os._exit(128 + signum)  # nothing open yet to close cleanly
            action()

    def restore(self) -> None:
        if self._active:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, self._signals)


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _process_start_time() -> float:
    try:
        import psutil

        return psutil.Process().create_time()
    except Exception:
        return time.time()
