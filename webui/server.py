"""``hearth serve``: the app on cheroot, its ``server.json``, its log, and a clean stop."""

from __future__ import annotations

import ipaddress
import json
import logging
import logging.handlers
import os
import secrets
import signal
import sys
import threading
from pathlib import Path
from typing import IO

from core import memory
from core.datadir_lock import InstanceLock, data_dir_lock, describe_holder, holder
from core.paths import Paths, PathsError

log = logging.getLogger("hearth.server")
SIGNAL_CHECK_S = 0.25  # how soon a stop signal taken by another thread is acted on

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MIN_REMOTE_TOKEN = 16
THREADS = 64  # every open event stream holds one


class ServeError(Exception):
    """Why the server cannot start, in one sentence for the terminal."""


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def addresses_for(host: str) -> list[str]:
    """The Host values a server bound to ``host`` answers to: the wildcard addresses stand
    for every address of this machine."""
    if host not in ("0.0.0.0", "::"):
        return [host]
    import psutil

    found = [host, "127.0.0.1", "localhost"]
    for entries in psutil.net_if_addrs().values():
        for entry in entries:
            if entry.family.name in ("AF_INET", "AF_INET6"):
                found.append(entry.address.split("%", 1)[0])
    return found


def choose_token(host: str, env: dict[str, str]) -> str:
    given = env.get("HEARTH_TOKEN", "")
    if not is_loopback(host):
        if len(given) < MIN_REMOTE_TOKEN:
            raise ServeError(
                f"Refusing to listen on {host}: Hearth listens on a non-loopback address only"
                f" when HEARTH_TOKEN holds a secret of at least {MIN_REMOTE_TOKEN} characters."
            )
        return given
    return given or secrets.token_urlsafe(32)


class _LogFile(logging.handlers.RotatingFileHandler):
    """The server's log file. A line it cannot write (a full or read-only disk) is dropped:
    logging's default prints a traceback to stderr for each one."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def setup_logging(logs: Path) -> None:
    handler = _LogFile(
        logs / "server.log", maxBytes=2 * 1024 * 1024, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def write_server_file(path: Path, info: dict) -> None:
    """Write ``info`` as JSON, readable by this user only, replacing any older file."""
    temp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(info, out)
    os.chmod(temp, 0o600)
    os.replace(temp, path)


def serve(
    paths: Paths,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    *,
    env: dict[str, str] | None = None,
    out: IO[str] | None = None,
    stop: threading.Event | None = None,
    lock: InstanceLock | None = None,
    desktop: dict | None = None,
) -> int:
    """Serve until SIGTERM/SIGINT (or ``stop`` is set). Raises ServeError if it cannot start.

    ``lock`` is the data folder's lock when the caller (the window) already holds it; otherwise
    ``serve`` takes it, and refuses to start while another process holds it. ``desktop`` is
    the window's actions (``create_app``'s ``desktop``).
    """
    env = dict(os.environ if env is None else env)
    out = out or sys.stdout
    token = token or choose_token(host, env)
    memory.limit_arenas()  # before the request threads start
    try:
        paths.create()
        probe = paths.data / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except PathsError as exc:
        raise ServeError(str(exc)) from None
    except OSError as exc:
        raise ServeError(
            f"Hearth cannot write to its data folder {paths.data}: {exc.strerror or exc}."
        ) from None
    own_lock = lock is None
    lock = lock or take_data_dir(paths)
    try:
        return _serve_locked(paths, host, port, token, env, out, stop, lock, desktop)
    finally:
        if own_lock:
            lock.release()


def take_data_dir(paths: Paths) -> InstanceLock:
    """The data folder's lock, held by this ``hearth serve``; ServeError naming the process
    that holds it already."""
    lock = data_dir_lock(paths.data)
    try:
        taken = lock.acquire()
    except OSError as exc:
        raise ServeError(
            f"Hearth cannot lock its data folder {paths.data}: {exc.strerror or exc}."
        ) from None
    if not taken:
        info = holder(lock, want=("pid", "url"))
        raise ServeError(f"{describe_holder(info, paths.data)}; use that one, or stop it first.")
    lock.write({"pid": os.getpid(), "kind": "serve"})
    return lock


def busy_port_reason(host: str, port: int) -> str:
    """Why ``port`` is taken, and what to do: another Hearth answers there, or some other
    program holds it. (A Hearth on this same data folder was named by its lock already.)"""
    hearth = hearth_version_at(host, port)
    if hearth:
        holder_text = f"another Hearth ({hearth}, at http://{_url_host(host)}:{port})"
    else:
        holder_text = "another program"
    return (
        f"the port is already in use by {holder_text}; use --port 0 to pick a free port,"
        " or --port with another number."
    )


def hearth_version_at(host: str, port: int, timeout: float = 1.0) -> str | None:
    """``"hearth X.Y"`` when a Hearth answers GET /api/health on ``host:port``, else None."""
    import urllib.request

    probe = "127.0.0.1" if host in ("0.0.0.0", "localhost") else "::1" if host == "::" else host
    try:
        with urllib.request.urlopen(
            f"http://{_url_host(probe)}:{port}/api/health", timeout=timeout
        ) as answer:
            if answer.headers.get("Server", "") != "hearth":
                return None
            health = json.loads(answer.read(4096))
    except (OSError, ValueError):
        return None
    if isinstance(health, dict) and health.get("status") == "ok" and health.get("version"):
        return f"hearth {health['version']}"
    return None


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _serve_locked(
    paths: Paths,
    host: str,
    port: int,
    token: str,
    env: dict[str, str],
    out: IO[str],
    stop: threading.Event | None,
    lock: InstanceLock,
    desktop: dict | None = None,
) -> int:
    setup_logging(paths.logs)

    from cheroot import wsgi

    from core.errors import StoreError
    from core.store import Store
    from webui.app import create_app

    try:
        store = Store(paths)
    except StoreError as exc:
        raise ServeError(exc.message) from None
    if store.recovered:
        log.info("recovered %d run(s) left live by a stopped process", len(store.recovered))
    app = create_app(paths, token=token, store=store, env=env, desktop=desktop)
    server = wsgi.Server((host, port), app, numthreads=THREADS, server_name="hearth")
    server.max_request_header_size = 64 * 1024  # request line + headers; beyond: 413/414
    server.shutdown_timeout = 1
    try:
        server.prepare()
    except OSError as exc:
        app.close()
        store.close()
        reason = busy_port_reason(host, port) if "in use" in str(exc) else f"{exc}."
        raise ServeError(f"Hearth cannot listen on {host}:{port}: {reason}") from None
    bound_port = server.bind_addr[1]
    for address in addresses_for(host):
        app.allow(address, bound_port)
    url = f"http://{_url_host(host)}:{bound_port}"
    server_file = paths.data / "server.json"

    stop = stop or threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve, name="cheroot", daemon=True)
    thread.start()
    try:
        lock.update(url=url)
        write_server_file(
            server_file, {"url": url, "port": bound_port, "token": token, "pid": os.getpid()}
        )
        print(f"{url}/?token={token}", file=out, flush=True)
        log.info("listening on %s (pid %d)", url, os.getpid())
        # With a timeout, not without: a signal the kernel hands to another thread only sets
        # Python's flag, and the main thread runs its handler when it next wakes.
        while not stop.wait(SIGNAL_CHECK_S):
            pass
        log.info("stopping")
    finally:
        app.stop_requests()
        app.runs.shutdown()
        server.stop()
        app.close()
        thread.join(2)
        try:
            server_file.unlink()
        except OSError:  # gone already, or the data folder turned read-only
            pass
        store.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        log.info("stopped")
    return 0
