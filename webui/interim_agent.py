"""A stand-in turn (text only, no tools) used until core.agent.agent.Agent exists.

It answers with the OpenAI-compatible provider that HEARTH_BASE_URL, HEARTH_API_KEY
and HEARTH_MODEL describe.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from core.runs.live_run import LiveRun


class InterimAgent:
    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.env = os.environ if env is None else env

    def __call__(
        self,
        live: LiveRun,
        *,
        session: dict[str, Any],
        history: list[dict[str, Any]],
        model: str | None,
        emit: Any,
        cancel: threading.Event,
    ) -> str:
        from core.agent.providers import (
            ProviderConfig,
            ProviderError,
            ReasoningDelta,
            TextDelta,
            Usage,
            make_provider,
        )

        config = ProviderConfig(
            kind="openai",
            base_url=self.env.get("HEARTH_BASE_URL") or None,
            api_key=self.env.get("HEARTH_API_KEY") or "not-needed",
            default_model=self.env.get("HEARTH_MODEL") or "",
        )
        provider = make_provider(config)
        messages = [
            {"role": m["role"], "content": m["content"]}
            for m in history
            if m["role"] in ("user", "assistant") and not m.get("tool_calls")
        ]
        try:
            for event in provider.stream(
                messages,
                model=model or session.get("model") or config.default_model,
                cancel=cancel,
            ):
                if isinstance(event, TextDelta):
                    live.add_text(event.text)
                    emit("text.delta", {"text": event.text})
                elif isinstance(event, ReasoningDelta):
                    live.add_reasoning(event.text)
                    emit("reasoning.delta", {"text": event.text})
                elif isinstance(event, Usage):
                    live.usage = {
                        "input_tokens": event.input_tokens,
                        "output_tokens": event.output_tokens,
                    }
                    emit("usage", dict(live.usage))
        except ProviderError as exc:
            if exc.kind == "cancelled":
                return "cancelled"
            raise
        finally:
            provider.close()
        return "cancelled" if cancel.is_set() else "completed"
