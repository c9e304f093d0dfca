"""The agent as the run manager calls it: settings in, one turn out."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.agent.approvals import ApprovalBroker
from core.agent.attachments.parts import with_parts
from core.agent.attachments.vision import takes_images
from core.agent.local.capabilities import offers_tools
from core.agent.prompt import system_prompt_for
from core.agent.providers import Provider, ProviderConfig, make_provider
from core.agent.tools import ToolContext, default_tools, hearth_private_paths
from core.agent.turn import DEFAULT_MAX_STEPS, Emit, run_turn
from core.cancel import CancelToken
from core.runs.live_run import LiveRun
from core.settings import Settings

NO_WORKSPACE = "none (tools are off in this chat)"
# Providers kept alive (their HTTP connections and SDK clients), one per distinct config.
_CACHE_SIZE = 16


class Agent:
    """Runs one turn of a session: picks provider, model, prompt, workspace and tools."""

    def __init__(
        self,
        store: Any,
        settings: Settings,
        approvals: ApprovalBroker,
        *,
        blocked_addresses: frozenset[tuple[str, int]] = frozenset(),
        provider_factory: Callable[[ProviderConfig], Provider] = make_provider,
        max_steps: int = DEFAULT_MAX_STEPS,
    ) -> None:
        self.store = store
        self.settings = settings
        self.approvals = approvals
        # Hearth's own server addresses, which fetch_url must never reach. The server may
        # set this after it binds its port.
        self.blocked_addresses = frozenset(blocked_addresses)
        self.max_steps = max_steps
        self._factory = provider_factory
        self._providers: OrderedDict[ProviderConfig, Provider] = OrderedDict()
        self._lock = threading.Lock()
        self._mcp: Any = None
        if getattr(approvals, "ledger", False) is None:
            approvals.ledger = store  # tool policies, grants and pins live in the store

    @property
    def mcp(self) -> Any:
        """The MCP servers (built on first use: nothing is read or started at Hearth's start)."""
        with self._lock:
            if self._mcp is None:
                from core.agent.mcp import McpHub

                self._mcp = McpHub(self.settings.paths, self.settings.secrets, ledger=self.store)
            return self._mcp

    def __call__(
        self,
        live: LiveRun,
        *,
        session: dict,
        history: list[dict],
        model: str | None,
        emit: Emit,
        cancel: CancelToken,
    ) -> str:
        """Run the turn; returns "completed" or "cancelled", raises on failure."""
        config, model_name = self.settings.resolve(session, model)
        chat_only = False
        if session.get("import_review"):
            # An imported chat whose asked-for workspace and prompt the user has not seen
            # yet: it answers, with no workspace and so no tools, until the user decides.
            workspace, tools = None, []
        elif session.get("tools_enabled", True) is False or not offers_tools(config):
            # "chat only", or a model that cannot call tools (the built-in one): no tools,
            # and the short prompt instead of the agent's.
            workspace, tools, chat_only = None, [], True
        else:
            workspace = self.settings.workspace_for(session)
            # Built-in tools and the MCP servers' tools; those set to deny are not offered.
            tools = self.approvals.offered(default_tools() + self.mcp.tools())
        values = self.settings.get()
        context = ToolContext(
            workspace=workspace or Path(),
            cancel=cancel,
            allow_private_network=values["allow_private_network"],
            blocked_addresses=self.blocked_addresses,
            hidden=hearth_private_paths(
                self.settings.paths, getattr(self.settings.secrets, "file", None)
            ),
        )
        shown = str(workspace) if workspace else NO_WORKSPACE
        images = takes_images(model_name, self.settings.paths.config)
        history = with_parts(self.store, history, images)
        return run_turn(
            live,
            provider=self.provider(config),
            model=model_name,
            history=history,
            system=system_prompt_for(session, self.settings, workspace=shown, chat_only=chat_only),
            tools=tools,
            tool_context=context,
            approvals=self.approvals,
            emit=emit,
            cancel=cancel,
            max_steps=self.max_steps,
        )

    def provider(self, config: ProviderConfig) -> Provider:
        """The provider for ``config``, built once and reused while the config is unchanged."""
        with self._lock:
            cached = self._providers.get(config)
            if cached is not None:
                self._providers.move_to_end(config)
                return cached
        built = self._factory(config)  # may import an SDK: not under the lock
        with self._lock:
            cached = self._providers.setdefault(config, built)
            self._providers.move_to_end(config)
            # Forgotten providers are not closed: a run may still be streaming from one.
            while len(self._providers) > _CACHE_SIZE:
                self._providers.popitem(last=False)
        if cached is not built:
            built.close()
        return cached

    def close(self) -> None:
        """Close every cached provider and stop the MCP servers (at shutdown)."""
        with self._lock:
            providers = list(self._providers.values())
            self._providers.clear()
            hub, self._mcp = self._mcp, None
        if hub is not None:
            hub.close()
        for provider in providers:
            provider.close()
