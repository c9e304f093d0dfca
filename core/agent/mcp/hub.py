"""Every configured MCP server, seen from Hearth's threads: status, tools, calls, shutdown.

The hub is cheap to build: it reads ``mcp.json`` and nothing else. The MCP SDK is imported,
the loop thread started and the servers launched only when a turn first needs their tools
(or Settings asks to start one). Calls wait on a future with a timeout and register on the
run's cancel token, so a server that hangs cannot hang a run, and a cancel ends the call at
once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable
from typing import Any

from core.agent.tools.base import ToolError
from core.cancel import on_cancel
from core.errors import InvalidInput

from .config import McpConfig, ServerConfig, check_name, moved, parse_entry
from .connection import ServerConnection, ServerGone, connection_closed
from .loop import McpLoop
from .tool import McpTool, exposed_name

log = logging.getLogger("hearth.mcp")


class McpHub:
    start_timeout = 30.0  # seconds a server has to start and list its tools
    list_timeout = 10.0
    call_timeout = 120.0
    turn_wait = 20.0  # at most this long a turn waits for servers to start
    restart_base = 1.0  # seconds before a failed server's first restart (then 2, 4, ...)

    def __init__(self, paths: Any, secrets: Any, ledger: Any = None) -> None:
        self.config = McpConfig(paths, secrets)
        self.ledger = ledger  # the store: tool policies and pins
        self.loop = McpLoop()
        self._lock = threading.Lock()
        self._connections: dict[str, ServerConnection] = {}
        self._closed = False
        # Called with a server's name when it is removed or replaced (another command or
        # URL under the same name): whoever keeps approvals for it forgets them.
        self.forget_hooks: list[Callable[[str], None]] = []

    # --- configuration -----------------------------------------------------------

    def servers(self) -> list[dict[str, Any]]:
        return [self.server(c.name) for c in self.config.servers()]

    def server(self, name: str) -> dict[str, Any]:
        config = self.config.get(name)
        connection = self._connections.get(name)
        out = config.public()
        if not config.enabled:
            out.update(status="disabled", tools=[])
            return out
        status = connection.status if connection else "stopped"
        out["status"] = status
        if status == "error" and connection is not None:
            out["error"] = connection.error
            out["stderr"] = list(connection.stderr)
        tools = connection.tools if connection is not None else []
        out["tools"] = [
            {
                "name": t.name,
                "description": t.description or "",
                "policy": self._policy(name, t.name),
            }
            for t in tools
        ]
        return out

    def put(self, name: str, entry: Any) -> dict[str, Any]:
        old = self.config.find(name)
        config, dropped = self.config.put(name, entry)
        if old is not None and moved(old, config):
            self._forget(name)
        self._restart_if_running(config)
        out = self.server(name)
        if dropped:
            out["note"] = (
                f"The {'command' if config.transport == 'stdio' else 'address'} changed, so "
                f"the stored {', '.join(dropped)} {'was' if len(dropped) == 1 else 'were'} "
                "not kept: enter the value again if the new server needs it."
            )
        return out

    def set_enabled(self, name: str, enabled: bool) -> dict[str, Any]:
        config = self.config.set_enabled(name, enabled)
        self._restart_if_running(config)
        return self.server(name)

    def remove(self, name: str) -> None:
        self.config.get(name)
        self._stop(name)
        self.config.remove(name)
        self._forget(name)

    def _forget(self, name: str) -> None:
        """Drop the grants, policies and pins of ``name``: they were given to another
        server (a replacement copying its tools must not run without asking)."""
        if self.ledger is not None:
            self.ledger.forget_server(name)
        for hook in list(self.forget_hooks):
            hook(name)

    def import_config(self, document: Any) -> dict[str, Any]:
        """Add the servers of a Claude Desktop / Cursor config, each whole or skipped."""
        if not isinstance(document, dict) or not isinstance(document.get("mcpServers"), dict):
            raise InvalidInput(
                'An import needs {"mcpServers": {...}}, the format of Claude Desktop\'s '
                "claude_desktop_config.json and Cursor's mcp.json."
            )
        added: list[str] = []
        skipped: list[dict[str, str]] = []
        for name, entry in document["mcpServers"].items():
            try:
                check_name(name)
                parse_entry(name, entry)
                if any(c.name == name for c in self.config.servers()):
                    raise InvalidInput(f"A server called {name} is already set up.")
                self.put(name, entry)
            except InvalidInput as exc:
                skipped.append({"name": str(name), "reason": exc.message})
            else:
                added.append(name)
        return {"added": added, "skipped": skipped}

    def _restart_if_running(self, config: ServerConfig) -> None:
        connection = self._connections.get(config.name)
        if connection is not None and connection.status != "stopped":
            self._stop(config.name)

    def _stop(self, name: str) -> None:
        with self._lock:
            connection = self._connections.pop(name, None)
        if connection is not None and self.loop.running:
            try:
                self.loop.call(connection.stop(), timeout=15)
            except Exception as exc:
                log.warning("stopping MCP server %s: %s", name, type(exc).__name__)

    def _policy(self, server: str, tool: str) -> str:
        if self.ledger is None:
            return "ask"
        return self.ledger.tool_policy(server, tool) or "ask"

    # --- tools for a turn ------------------------------------------------------------

    def tools(self) -> list[McpTool]:
        """The tools of every enabled server, starting servers that are not running yet.

        Waits at most ``turn_wait`` seconds: a server still starting then is left to start,
        and its tools are offered from the next turn. A server in error is skipped (Settings
        says why). Empty, without starting anything, when no server is enabled.
        """
        enabled = [c for c in self.config.servers() if c.enabled]
        if not enabled or self._closed:
            return []
        connections = [self._connection(c.name) for c in enabled]
        # A server whose restarts ran out waits for Connect (Settings says why).
        connections = [c for c in connections if not c.gave_up.is_set()]
        future = self.loop.submit(self._list_all(connections))
        try:
            listed = future.result(self.turn_wait)
        except concurrent.futures.TimeoutError:
            future.cancel()
            listed = [(c, list(c.tools)) for c in connections if c.status == "connected"]
        out: list[McpTool] = []
        taken: set[str] = set()
        for connection, tools in listed:
            for tool in tools:
                name = exposed_name(connection.name, tool.name, taken)
                mcp_tool = McpTool(self, connection.name, tool, name)
                if self.ledger is not None:
                    self.ledger.note_tool_seen(connection.name, tool.name, mcp_tool.pin)
                out.append(mcp_tool)
        return out

    async def _list_all(self, connections: list[ServerConnection]) -> list[tuple[Any, list]]:
        async def one(connection: ServerConnection) -> tuple[Any, list]:
            try:
                return connection, await connection.list_tools(self.list_timeout)
            except (ServerGone, asyncio.TimeoutError, Exception) as exc:
                log.info("MCP server %s offers no tools this turn: %s", connection.name, exc)
                return connection, []

        return list(await asyncio.gather(*(one(c) for c in connections)))

    def start(self, name: str) -> dict[str, Any]:
        """Start ``name`` now (Settings' "Connect"); returns its status."""
        connection = self._connection(name)
        try:
            self.loop.call(connection.ensure(), timeout=self.start_timeout + 10)
        except (ServerGone, TimeoutError):
            pass
        return self.server(name)

    def _connection(self, name: str) -> ServerConnection:
        with self._lock:
            connection = self._connections.get(name)
            if connection is None:
                connection = ServerConnection(
                    name, lambda: self.config.launch(name), self.start_timeout
                )
                self._connections[name] = connection
            connection.start_timeout = self.start_timeout
            connection.restart_base = self.restart_base
            return connection

    # --- calls ------------------------------------------------------------------------

    def call(self, server: str, tool: str, arguments: dict[str, Any], *, cancel: Any) -> Any:
        """Call ``tool`` on ``server``; the CallToolResult, or ToolError saying what failed."""
        connection = self._connection(server)
        future = self.loop.submit(connection.call(tool, arguments))
        unsubscribe = on_cancel(cancel, future.cancel)
        try:
            return future.result(self.call_timeout)
        except concurrent.futures.CancelledError:
            raise ToolError(f"the call to {tool} of {server} was cancelled") from None
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ToolError(
                f"{tool} of the MCP server {server} did not answer within "
                f"{self.call_timeout:g} s; the call was abandoned"
            ) from None
        except ServerGone as exc:
            raise ToolError(f"the MCP server {server} went away during the call: {exc}") from None
        except Exception as exc:
            if connection_closed(exc):
                said = " | ".join(list(connection.stderr)[-3:])
                raise ToolError(
                    f"the MCP server {server} stopped during the call to {tool}"
                    + (f"; its last output: {said}" if said else "")
                    + ". Hearth starts it again shortly."
                ) from None
            raise ToolError(f"{tool} of the MCP server {server} failed: {_short(exc)}") from None
        finally:
            unsubscribe()

    def close(self) -> None:
        """Stop every server (bounded), then the loop: at Hearth's shutdown."""
        self._closed = True
        with self._lock:
            connections = list(self._connections.values())
            self._connections.clear()
        if self.loop.running and connections:

            async def stop_all() -> None:
                await asyncio.gather(*(c.stop() for c in connections), return_exceptions=True)

            try:
                self.loop.call(stop_all(), timeout=12)
            except Exception as exc:
                log.warning("stopping MCP servers: %s", type(exc).__name__)
        self.loop.stop()


def _short(exc: BaseException) -> str:
    while getattr(exc, "exceptions", None):
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text[:300] or type(exc).__name__
