"""One MCP server's connection: start it, list its tools, call them, notice when it dies.

Everything here runs on the MCP loop (:mod:`core.agent.mcp.loop`). A connection holds its
session open in one task (the SDK's transports must be entered and left by the same task)
until it is asked to stop or the server goes away. A stdio server's stderr goes to Hearth's
log and its last lines are kept for the error shown in Settings; its end (stderr closing) is
how a crash is noticed, at once. A server that crashed is started again after a backoff
(1, 2, 4 ... 30 s; five times in a row at most, then it stays in error, saying so, until it
is needed again or the user presses Connect). Failing to connect at all counts as a crash: a
server that never comes up is tried six times, not forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .config import Launch
from .process import wrapped

log = logging.getLogger("hearth.mcp")

STDERR_LINES = 20
MAX_TOOLS = 500
MAX_RESTARTS = 5
STABLE_AFTER = 60.0  # seconds connected after which a crash counts as the first again
_LOG_LINE = 500  # characters of one stderr line that reach the log
_LOG_BURST = 200  # stderr lines a server may log per minute; the rest are counted


class ServerGone(Exception):
    """The server stopped (or the connection broke) while a request was waiting."""


class ServerConnection:
    def __init__(self, name: str, launch: Callable[[], Launch], start_timeout: float) -> None:
        self.name = name
        self._launch = launch
        self.start_timeout = start_timeout
        self.status = "stopped"
        self.error: str | None = None
        self.stderr: deque[str] = deque(maxlen=STDERR_LINES)
        self.tools: list[Any] = []
        self.session: Any = None
        self.pid: int | None = None
        self._holder: asyncio.Task | None = None
        self._ready: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._exited: asyncio.Event | None = None
        self._inflight: set[asyncio.Task] = set()
        self._restart: asyncio.Task | None = None
        self._crashes = 0
        self._connected_at = 0.0  # when the current attempt connected; 0.0: it has not
        self.restart_base = 1.0  # seconds before the first restart; doubled each time
        self.gave_up = threading.Event()  # set when the restarts ran out
        self._gone_reason: str | None = None
        self.tools_changed = False
        self.stderr_done = threading.Event()  # the server's stderr closed: it is gone

    # --- life ------------------------------------------------------------------

    async def ensure(self) -> None:
        """Connected, or ServerGone saying why not (starts the server if it is not running)."""
        if self.status == "connected" and self.session is not None:
            return
        holder = self._holder
        if holder is not None and not holder.done() and self.status == "connected":
            # The server just went away and the session is winding down: let it end first.
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(holder), 10)
        if self._holder is None or self._holder.done():
            if self._restart is not None and not self._restart.done():
                self._restart.cancel()
            if self.status != "error" or self.gave_up.is_set():
                self._crashes = 0  # asked for again: a fresh series of attempts
            self._start()
        assert self._ready is not None
        try:
            await asyncio.wait_for(asyncio.shield(self._ready.wait()), self.start_timeout + 5)
        except asyncio.TimeoutError:
            self.error = f"{self.name} did not answer within {self.start_timeout:g} s of starting."
            await self.stop()
            self.status = "error"
            raise ServerGone(self.error) from None
        if self.status != "connected":
            raise ServerGone(self.error or f"{self.name} is not connected.")

    def _start(self) -> None:
        self.status, self.error, self._gone_reason = "starting", None, None
        self._connected_at = 0.0
        self.gave_up.clear()
        self.stderr.clear()
        self._ready, self._stop, self._exited = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self._holder = asyncio.get_running_loop().create_task(self._hold())

    async def stop(self) -> None:
        """End the session and the server's process; waits a bounded time."""
        if self._restart is not None:
            self._restart.cancel()
        holder = self._holder
        if holder is None or holder.done():
            if self.status in ("starting", "connected"):
                self.status = "stopped"
            return
        assert self._stop is not None
        self._stop.set()
        if self.status != "connected":
            holder.cancel()  # still starting: nothing to wind down politely
        try:
            await asyncio.wait_for(asyncio.shield(holder), 8)
        except (asyncio.TimeoutError, asyncio.CancelledError, Exception):
            holder.cancel()
        self.status = "stopped"

    async def _hold(self) -> None:
        assert self._ready and self._stop and self._exited
        ended_by_us = False
        try:
            async with contextlib.AsyncExitStack() as stack:
                session = await self._open(stack)
                await asyncio.wait_for(self._handshake(session), self.start_timeout)
                self.session = session
                self.status, self.error = "connected", None
                self._connected_at = time.monotonic()
                log.info("MCP server %s connected with %d tools", self.name, len(self.tools))
                self._ready.set()
                stop = asyncio.ensure_future(self._stop.wait())
                exited = asyncio.ensure_future(self._exited.wait())
                await asyncio.wait({stop, exited}, return_when=asyncio.FIRST_COMPLETED)
                stop.cancel()
                exited.cancel()
                ended_by_us = self._stop.is_set()
                if not ended_by_us:
                    self._gone_reason = self._sentence("stopped")
                self.session = None
                self._fail_inflight()
        except asyncio.CancelledError:
            ended_by_us = True
            raise
        except BaseException as exc:  # noqa: B036 - the SDK raises groups; all end the same way
            if not self._stop.is_set():
                self._gone_reason = self._sentence("failed", exc)
            else:
                ended_by_us = True
        finally:
            self.session = None
            self._fail_inflight()
            if not ended_by_us:
                self.status, self.error = "error", self._gone_reason
                log.warning("MCP server %s: %s", self.name, self.error)
                self._schedule_restart()
            self._ready.set()

    async def _handshake(self, session: Any) -> None:
        await session.initialize()
        self.tools = await self._list(session)

    async def _open(self, stack: contextlib.AsyncExitStack) -> Any:
        from mcp import ClientSession

        launch = self._launch()
        config = launch.config
        if config.transport == "stdio":
            read, write = await self._open_stdio(stack, launch)
        elif config.sse:
            from mcp.client.sse import sse_client

            read, write = await stack.enter_async_context(
                sse_client(config.url, headers=launch.headers or None, timeout=self.start_timeout)
            )
        else:
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client

            client = await stack.enter_async_context(
                create_mcp_http_client(headers=launch.headers or None)
            )
            read, write = await stack.enter_async_context(
                streamable_http_client(config.url, http_client=client)
            )
        return await stack.enter_async_context(
            ClientSession(read, write, message_handler=self._on_message)
        )

    async def _open_stdio(self, stack: contextlib.AsyncExitStack, launch: Launch) -> Any:
        from mcp import StdioServerParameters, stdio_client

        config = launch.config
        assert config.command is not None
        command, args = wrapped(config.command, list(config.args))
        read_fd, write_fd = os.pipe()
        self.stderr_done = threading.Event()
        errlog = os.fdopen(write_fd, "w")
        loop = asyncio.get_running_loop()
        exited = self._exited
        assert exited is not None
        try:
            params = StdioServerParameters(command=command, args=args, env=launch.env or None)
            streams = await stack.enter_async_context(stdio_client(params, errlog=errlog))
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            errlog.close()  # the server holds its own copy; EOF on ours means it is gone
        threading.Thread(
            target=self._read_stderr,
            args=(read_fd, loop, exited),
            name=f"hearth-mcp-stderr-{self.name}",
            daemon=True,
        ).start()
        return streams

    def _read_stderr(self, fd: int, loop: asyncio.AbstractEventLoop, exited: asyncio.Event) -> None:
        done = self.stderr_done
        logged, window, skipped = 0, time.monotonic(), 0
        with open(fd, "rb", buffering=0) as pipe, contextlib.suppress(OSError):
            buffer = b""
            while True:
                chunk = pipe.read(65536)
                if not chunk:
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                if len(buffer) > 65536:  # a flood without line ends: cut it into lines
                    lines.append(buffer[:_LOG_LINE])
                    buffer = b""
                for raw in lines:
                    line = raw.decode("utf-8", "replace").rstrip()[:_LOG_LINE]
                    if not line:
                        continue
                    self.stderr.append(line)
                    if time.monotonic() - window > 60:
                        if skipped:
                            log.info("[mcp %s] (%d more lines not logged)", self.name, skipped)
                        logged, window, skipped = 0, time.monotonic(), 0
                    if logged < _LOG_BURST:
                        logged += 1
                        log.info("[mcp %s] %s", self.name, line)
                    else:
                        skipped += 1
            if buffer.strip():
                self.stderr.append(buffer.decode("utf-8", "replace").rstrip()[:_LOG_LINE])
        done.set()
        with contextlib.suppress(RuntimeError):  # the loop is closed: Hearth is stopping
            loop.call_soon_threadsafe(exited.set)

    def _schedule_restart(self) -> None:
        connected = self._connected_at > 0.0
        if connected and time.monotonic() - self._connected_at > STABLE_AFTER:
            self._crashes = 0  # it ran well for a while: this crash starts a new series
        self._crashes += 1
        if self._crashes > MAX_RESTARTS:
            self.error = (
                f"{self.error or self.name + ' failed.'} Hearth tried {MAX_RESTARTS} restarts "
                "and gave up; press Connect to try again."
            )
            log.warning("MCP server %s: no more restarts", self.name)
            self.gave_up.set()
            return
        delay = min(30.0, self.restart_base * 2.0 ** (self._crashes - 1))

        async def later() -> None:
            await asyncio.sleep(delay)
            if self.status == "error":
                log.info("restarting MCP server %s (attempt %d)", self.name, self._crashes)
                self._start()

        self._restart = asyncio.get_running_loop().create_task(later())

    def _sentence(self, what: str, exc: BaseException | None = None) -> str:
        detail = _reason(exc) if exc is not None else ""
        text = f"{self.name} {what}" + (f": {detail}" if detail else ".")
        if self.stderr:
            text += " Its last output: " + " | ".join(list(self.stderr)[-5:])
        return text

    async def _on_message(self, message: Any) -> None:
        method = getattr(message, "method", None)
        if method == "notifications/tools/list_changed":
            self.tools_changed = True

    # --- requests ----------------------------------------------------------------

    async def list_tools(self, timeout: float) -> list[Any]:
        await self.ensure()
        session = self.session
        if session is None:
            raise ServerGone(self.error or f"{self.name} is not connected.")
        self.tools = await self._tracked(asyncio.wait_for(self._list(session), timeout))
        self.tools_changed = False
        return self.tools

    async def call(self, tool: str, arguments: dict[str, Any]) -> Any:
        await self.ensure()
        session = self.session
        if session is None:
            raise ServerGone(self.error or f"{self.name} is not connected.")
        try:
            return await self._tracked(session.call_tool(tool, arguments))
        except Exception as exc:
            if connection_closed(exc):
                await self._wind_down()
            raise

    async def _wind_down(self) -> None:
        """The connection closed under a request: end the session now (and mark the server
        in error, to be restarted) rather than on the next use."""
        holder, exited = self._holder, self._exited
        if holder is None or holder.done() or exited is None:
            return
        exited.set()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(holder), 10)

    async def _tracked(self, awaitable: Any) -> Any:
        task = asyncio.current_task()
        assert task is not None
        self._inflight.add(task)
        try:
            return await awaitable
        except asyncio.CancelledError:
            # Cancelled by _fail_inflight (the server went away) or by the caller, whose
            # future is then already cancelled and never reads what this raises.
            if self._gone_reason is not None:
                raise ServerGone(self._gone_reason) from None
            raise
        finally:
            self._inflight.discard(task)

    def _fail_inflight(self) -> None:
        for task in list(self._inflight):
            task.cancel()

    async def _list(self, session: Any) -> list[Any]:
        from mcp.types import PaginatedRequestParams

        tools: list[Any] = []
        cursor = None
        while True:
            params = PaginatedRequestParams(cursor=cursor) if cursor else None
            result = await session.list_tools(params=params)
            tools.extend(result.tools)
            cursor = result.next_cursor
            if not cursor or len(tools) >= MAX_TOOLS:
                return tools[:MAX_TOOLS]


def _reason(exc: BaseException) -> str:
    """The first real error inside ``exc`` (the SDK wraps them in exception groups)."""
    while getattr(exc, "exceptions", None):  # an exception group
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
    if isinstance(exc, asyncio.TimeoutError):
        return "it did not answer in time"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{text} ({type(exc).__name__})" if text else type(exc).__name__


def connection_closed(exc: BaseException) -> bool:
    """Whether ``exc`` is the SDK saying the connection to the server closed."""
    from mcp.shared.exceptions import MCPError
    from mcp.types import CONNECTION_CLOSED

    return isinstance(exc, MCPError) and exc.code == CONNECTION_CLOSED
