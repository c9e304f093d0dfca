"""Anthropic's Messages API, through the official SDK."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .anthropic_messages import to_anthropic_request, to_anthropic_tools
from .anthropic_stream import anthropic_events
from .attempt import guarded_attempt
from .base import Event, ProviderConfig
from .errors import CallInfo, cancelled, map_listing_exception
from .http import http_timeout, make_http_client
from .retry import call_with_retries, stream_with_retries

DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_MAX_TOKENS = 8192
# A local proxy may need no key, but the SDK insists on one.
PLACEHOLDER_KEY = "not-needed"


class AnthropicProvider:
    def __init__(self, config: ProviderConfig) -> None:
        import anthropic

        self.config = config
        self.base_url = _sdk_base_url(config.base_url)
        self._http = make_http_client(config)
        self._client = anthropic.Anthropic(
            api_key=config.api_key or PLACEHOLDER_KEY,
            base_url=self.base_url,
            timeout=http_timeout(config),
            max_retries=0,
            default_headers=dict(config.headers),
            http_client=self._http,
        )

    def stream(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        model: str | None = None,
        tools: Sequence[Mapping[str, Any]] = (),
        system: str | None = None,
        options: Mapping[str, Any] | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[Event]:
        """Stream one answer. On cancel, raises ProviderError(kind="cancelled").

        ``options["max_tokens"]`` overrides DEFAULT_MAX_TOKENS; other options
        (temperature, thinking, ...) go into the request body as given.
        """
        model = model or self.config.default_model
        call = self._call_info(model)
        extra = dict(options or {})
        system_prompt, wire_messages = to_anthropic_request(messages, system)
        request: dict[str, Any] = {
            "model": model,
            "max_tokens": int(extra.pop("max_tokens", DEFAULT_MAX_TOKENS)),
            "messages": wire_messages,
            "stream": True,
        }
        if system_prompt:
            request["system"] = system_prompt
        if tools:
            request["tools"] = to_anthropic_tools(tools)
        if extra:
            request["extra_body"] = extra
        yield from stream_with_retries(
            lambda: self._attempt(request, call, cancel),
            self.config,
            cancel,
            lambda: cancelled(call),
        )

    def list_models(self) -> list[str]:
        call = self._call_info(self.config.default_model)

        def fetch() -> list[str]:
            try:
                return [model.id for model in self._client.models.list(limit=1000)]
            except Exception as exc:
                raise map_listing_exception(exc, call) from exc

        return call_with_retries(fetch, self.config)

    def close(self) -> None:
        self._client.close()

    def _attempt(
        self, request: dict[str, Any], call: CallInfo, cancel: threading.Event | None
    ) -> Iterator[Event]:
        def open_stream() -> Any:
            return self._client.messages.create(**request)

        return guarded_attempt(open_stream, anthropic_events, call, cancel)

    def _call_info(self, model: str) -> CallInfo:
        return CallInfo(
            provider=self.config.display_name,
            url=self.base_url,
            model=model,
            api_key=self.config.api_key,
            timeout=self.config.timeout,
            wire="Anthropic-compatible",
        )


def _sdk_base_url(base_url: str | None) -> str:
    """The SDK adds "/v1/..." itself; accept a pasted URL that already ends in /v1."""
    url = (base_url or DEFAULT_BASE_URL).rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url
