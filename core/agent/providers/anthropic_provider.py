"""Anthropic's Messages API, through the official SDK."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .anthropic_messages import to_anthropic_request, to_anthropic_tools
from .anthropic_stream import anthropic_events
from .base import LIST_TIMEOUT_S, ProviderConfig
from .sdk_provider import SDKProvider

DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_MAX_TOKENS = 8192


class AnthropicProvider(SDKProvider):
    wire = "Anthropic-compatible"
    events = staticmethod(anthropic_events)

    def __init__(self, config: ProviderConfig) -> None:
        import anthropic

        super().__init__(config, _sdk_base_url(config.base_url), anthropic.Anthropic)

    def _request(
        self,
        messages: Sequence[Mapping[str, Any]],
        model: str | None,
        tools: Sequence[Mapping[str, Any]],
        system: str | None,
        options: dict[str, Any],
    ) -> dict[str, Any]:
        """``options["max_tokens"]`` overrides DEFAULT_MAX_TOKENS; other options
        (temperature, thinking, ...) go into the request body as given."""
        system_prompt, wire_messages = to_anthropic_request(messages, system)
        request: dict[str, Any] = {
            "model": model,
            "max_tokens": int(options.pop("max_tokens", DEFAULT_MAX_TOKENS)),
            "messages": wire_messages,
            "stream": True,
        }
        if system_prompt:
            request["system"] = system_prompt
        if tools:
            request["tools"] = to_anthropic_tools(tools)
        if options:
            request["extra_body"] = options
        return request

    def _open(self, request: dict[str, Any]) -> Any:
        return self._client.messages.create(**request)

    def _model_ids(self) -> list[str]:
        listing = self._client.models.list(limit=1000, timeout=LIST_TIMEOUT_S)
        return [model.id for model in listing]


def _sdk_base_url(base_url: str | None) -> str:
    """The SDK adds "/v1/..." itself; accept a pasted URL that already ends in /v1."""
    url = (base_url or DEFAULT_BASE_URL).rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url
