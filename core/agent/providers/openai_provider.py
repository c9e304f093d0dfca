"""Any OpenAI-compatible Chat Completions endpoint, through the official SDK."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .base import LIST_TIMEOUT_S, ProviderConfig
from .openai_messages import to_openai_messages, to_openai_tools
from .openai_stream import openai_events
from .sdk_provider import SDKProvider

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class OpenAIProvider(SDKProvider):
    wire = "OpenAI-compatible"
    events = staticmethod(openai_events)

    def __init__(self, config: ProviderConfig) -> None:
        import openai

        super().__init__(config, (config.base_url or DEFAULT_BASE_URL).rstrip("/"), openai.OpenAI)
        # Cleared for good once the server rejects stream_options.
        self._send_stream_options = True

    def _request(
        self,
        messages: Sequence[Mapping[str, Any]],
        model: str | None,
        tools: Sequence[Mapping[str, Any]],
        system: str | None,
        options: dict[str, Any],
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": model,
            "messages": to_openai_messages(messages, system),
            "stream": True,
        }
        if tools:
            request["tools"] = to_openai_tools(tools)
        if options:
            request["extra_body"] = options
        return request

    def _open(self, request: dict[str, Any]) -> Any:
        create = self._client.chat.completions.create
        if not self._send_stream_options:
            return create(**request)
        try:
            return create(**request, stream_options={"include_usage": True})
        except Exception as exc:
            if getattr(exc, "status_code", None) not in (400, 422):
                raise
            if "stream_options" not in str(getattr(exc, "body", "")) + str(exc):
                raise
        self._send_stream_options = False
        return create(**request)

    def _model_ids(self) -> list[str]:
        listing = self._client.models.list(timeout=LIST_TIMEOUT_S)
        return sorted(model.id for model in listing)
