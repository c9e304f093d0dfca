"""The web app, built by ``create_app``: a value, not a global, so a test can build several."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import bottle

from core.agent.approvals import ApprovalBroker
from core.agent.titles import Titler
from core.cancel import CancelToken
from core.paths import Paths
from core.runs.checkpointer import DEFAULT_INTERVAL_S
from core.runs.manager import RunManager
from core.settings import Settings
from core.store import Store
from webui.http import default_error_handler, json_errors
from webui.routes import ROUTE_MODULES
from webui.security import Gate

log = logging.getLogger("hearth.app")


@dataclass
class Hearth:
    """What the routes share: the store, the runs, the settings and the approvals."""

    paths: Paths
    store: Store
    runs: RunManager
    token: str
    settings: Settings
    approvals: ApprovalBroker
    agent: Any
    # Cancelled when the server stops: a request thread's call to a provider (a model list,
    # a connection test) ends at once instead of holding the shutdown until it times out.
    closing: CancelToken = field(default_factory=CancelToken)
    # What the desktop window does for the page (POST /api/desktop/<action>), registered by
    # the window as plain callables; empty under `hearth serve`.
    desktop: Mapping[str, Callable[[dict], dict | None]] = field(default_factory=dict)


class HearthApp:
    """The WSGI application: the Bottle routes behind the security gate."""

    def __init__(self, hearth: Hearth, bottle_app: bottle.Bottle, gate: Gate, owns_store: bool):
        self.hearth = hearth
        self.bottle = bottle_app
        self.gate = gate
        self._owns_store = owns_store

    def __call__(self, environ: dict[str, Any], start_response: Any):
        return self.gate(environ, start_response)

    @property
    def store(self) -> Store:
        return self.hearth.store

    @property
    def runs(self) -> RunManager:
        return self.hearth.runs

    def allow(self, host: str, port: int) -> None:
        """Accept ``host:port`` in the Host header (and as an Origin); the agent's
        fetch tool may never reach that address."""
        self.gate.allow(host, port)
        agent = self.hearth.agent
        if hasattr(agent, "blocked_addresses"):
            hosts = {"127.0.0.1", "::1"} if host in ("127.0.0.1", "localhost", "::1") else {host}
            agent.blocked_addresses = frozenset(agent.blocked_addresses) | {
                (h, port) for h in hosts
            }

    def stop_requests(self) -> None:
        """End the calls request threads are making to providers (before the server stops)."""
        self.hearth.closing.cancel()

    def close(self, timeout: float = 2.0) -> None:
        """End live runs as interrupted, then close the store if this app opened it."""
        self.stop_requests()
        self.hearth.runs.shutdown(timeout)
        closer = getattr(self.hearth.agent, "close", None)
        if closer is not None:
            closer()
        if self._owns_store:
            self.hearth.store.close()


def create_app(
    paths: Paths,
    *,
    token: str,
    store: Store | None = None,
    settings: Any = None,
    approvals: Any = None,
    agent: Any = None,
    hosts: tuple[str, ...] = (),
    checkpoint_interval: float = DEFAULT_INTERVAL_S,
    env: dict[str, str] | None = None,
    desktop: Mapping[str, Callable[[dict], dict | None]] | None = None,
) -> HearthApp:
    """Build the app over ``paths``' data. Anything not given is built from the real parts.

    ``desktop`` maps the window's actions to what does them; the mapping is read at each
    request, so the window may fill it once it exists."""
    if not token:
        raise ValueError("an API token is required")
    owns_store = store is None
    store = store if store is not None else Store(paths)
    if settings is None:
        settings = Settings(paths, env=env)
    if approvals is None:
        approvals = ApprovalBroker(policy=settings.approval_policy)
    if agent is None:
        agent = _default_agent(store, settings, approvals)
    manager = RunManager(store, agent, checkpoint_interval=checkpoint_interval)
    if hasattr(agent, "provider") and hasattr(agent, "settings"):  # a real agent names chats
        store.retry_titles()  # any left mid-title by a process that stopped
        manager.after_run.append(Titler(store, agent).after_run)
    hearth = Hearth(paths, store, manager, token, settings, approvals, agent)
    if desktop is not None:
        hearth.desktop = desktop

    app = bottle.Bottle(catchall=True, autojson=False)
    app.default_error_handler = default_error_handler
    app.install(json_errors)
    for routes in ROUTE_MODULES:
        routes.install(app, hearth)
    return HearthApp(hearth, app, Gate(app, token, hosts), owns_store)


def _default_agent(store: Store, settings: Any, approvals: Any) -> Any:
    from core.agent.agent import Agent

    return Agent(store, settings, approvals)
