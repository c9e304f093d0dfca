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
from core.agent.context import tokens
from core.agent.context.budget import Budget
from core.agent.context.compact import summarise
from core.agent.context.plan import after_summary, cover_point, plan_request
from core.agent.context.prices import cost, price_for
from core.agent.context.windows import window_for
from core.agent.local.capabilities import offers_tools
from core.agent.prompt import system_prompt_for
from core.agent.providers import Provider, ProviderConfig, make_provider
from core.agent.tools import ToolContext, default_tools, hearth_private_paths, tool_schemas
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
        self._turns = 0  # turns under way in this process
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
        history = with_parts(
            self.store,
            history,
            lambda: takes_images(model_name, values.get("model_images"), config, probe=True),
        )
        # Asking a server about its model while another turn streams from it could cut that
        # stream (llama-cpp-python does): only when this turn is the only one.
        with self._lock:
            alone = self._turns == 0
        window = window_for(
            config, model_name, values.get("context_windows"), probe=alone, cancel=cancel
        )
        session_id = session["id"]
        budget = Budget(
            window=window,
            threshold=values.get("context_threshold") or 0.8,
            provider_key=_provider_key(config),
            save_summary=lambda text, covers: self.store.add_summary(session_id, text, covers),
            price=price_for(model_name, values.get("prices")),
        )
        with self._lock:
            self._turns += 1
        try:
            return run_turn(
                live,
                provider=self.provider(config),
                model=model_name,
                history=history,
                system=system_prompt_for(
                    session, self.settings, workspace=shown, chat_only=chat_only
                ),
                tools=tools,
                context=budget,
                tool_context=context,
                approvals=self.approvals,
                emit=emit,
                cancel=cancel,
                max_steps=self.max_steps,
            )
        finally:
            with self._lock:
                self._turns -= 1

    # --- the context window ---------------------------------------------------

    def context_of(self, session: dict, history: list[dict]) -> dict[str, Any]:
        """What the next request of ``session`` would send, in tokens, against the window
        (never asks a provider: a window not known yet is null)."""
        try:
            config, model_name = self.settings.resolve(session, None)
        except Exception:  # no provider configured: count against no window
            config, model_name = None, ""
        values = self.settings.get()
        window = (
            window_for(config, model_name, values.get("context_windows"))
            if config is not None
            else None
        )
        offers = config is not None and offers_tools(config)
        tools_on = session.get("tools_enabled", True) is not False and offers
        schemas = tool_schemas(default_tools()) if tools_on else None
        shown = NO_WORKSPACE if not tools_on else "(the workspace)"
        system = system_prompt_for(session, self.settings, workspace=shown, chat_only=not tools_on)
        scale = tokens.factor(_provider_key(config)) if config is not None else 1.0
        threshold = values.get("context_threshold") or 0.8
        plan = plan_request(
            history,
            system=system,
            tools=schemas,
            window=window,
            threshold=threshold,
            scale=scale,
            build=False,
        )
        return {
            "used_tokens": plan.used_tokens,
            "window_tokens": window,
            "threshold": threshold,
            "parts": plan.parts,
            "model": model_name or None,
            "usage": session_usage(history, price_for(model_name, values.get("prices"))),
        }

    def compaction_point(self, session: dict, history: list[dict]) -> str | None:
        """The last message "Compact now" would summarise (the last turn stays), or None."""
        _, rest = after_summary(history)
        return cover_point(rest, 0)

    def compact(
        self,
        live: LiveRun,
        *,
        session: dict,
        history: list[dict],
        covers_id: str,
        emit: Emit,
        cancel: CancelToken,
    ) -> str:
        """ "Compact now" as a run: the summary streams into ``live``, which the run's
        checkpoints keep and whose end makes it the summary."""
        config, model_name = self.settings.resolve(session, None)
        window = window_for(config, model_name, self.settings.get().get("context_windows"))

        def add(text: str) -> None:
            live.add_text(text)
            emit("text.delta", {"text": text})

        try:
            summarise(
                self.provider(config),
                model_name,
                history,
                covers_id,
                window=window,
                cancel=cancel,
                on_text=add,
            )
        except Exception:
            if cancel.is_set():
                return "cancelled"
            raise
        return "cancelled" if cancel.is_set() else "completed"

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


def _provider_key(config: ProviderConfig) -> str:
    return f"{config.kind}:{config.base_url or ''}"


def session_usage(history: list[dict], price: tuple[float, float] | None) -> dict[str, Any]:
    """The tokens the shown conversation's turns took (as reported), and what they cost where
    each turn's cost is known (else at today's price for the session's model)."""
    totals: dict[str, Any] = {"input_tokens": 0, "output_tokens": 0}
    spent, priced = 0.0, True
    for message in history:
        usage = message.get("usage")
        if not usage:
            continue
        totals["input_tokens"] += int(usage.get("input_tokens") or 0)
        totals["output_tokens"] += int(usage.get("output_tokens") or 0)
        if "cost_usd" in usage:
            spent += float(usage["cost_usd"])
        elif price is not None:
            spent += cost(
                int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0), price
            )
        else:
            priced = False
    totals["cost_usd"] = round(spent, 6) if priced else None
    return totals
