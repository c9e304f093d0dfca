"""Any OpenAI-compatible Chat Completions endpoint, through the official SDK."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .attempt import guarded_attempt
from .base import Event, ProviderConfig
from .errors import CallInfo, cancelled, map_listing_exception
from .http import http_timeout, make_http_client
from .openai_messages import to_openai_messages, to_openai_tools
from .openai_stream import openai_events
from .retry import call_with_retries, stream_with_retries

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Local servers need no key, but the SDK insists on one.
PLACEHOLDER_KEY = "not-needed"


class OpenAIProvider:
    def __init__(self, config: ProviderConfig) -> None:
        import openai

        self.config = config
        self.base_url = (config.base_url or DEFAULT_BASE_URL).rstrip("/")
        self._http = make_http_client(config)
        self._client = openai.OpenAI(
            api_key=config.api_key or PLACEHOLDER_KEY,
            base_url=self.base_url,
            timeout=http_timeout(config),
            max_retries=0,
            default_headers=dict(config.headers),
            http_client=self._http,
        )
        # Cleared for good once the server rejects stream_options.
        self._send_stream_options = True

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
        """Stream one answer. On cancel, raises ProviderError(kind="cancelled")."""
        model = model or self.config.default_model
        call = self._call_info(model)
        request: dict[str, Any] = {
            "model": model,
            "messages": to_openai_messages(messages, system),
            "stream": True,
        }
        if tools:
            request["tools"] = to_openai_tools(tools)
        if options:
            request["extra_body"] = dict(options)
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
                return sorted(model.id for model in self._client.models.list())
            except Exception as exc:
                raise map_listing_exception(exc, call) from exc

        return call_with_retries(fetch, self.config)

    def close(self) -> None:
        self._client.close()

    def _attempt(
        self, request: dict[str, Any], call: CallInfo, cancel: threading.Event | None
    ) -> Iterator[Event]:
        return guarded_attempt(lambda: self._open(request), openai_events, call, cancel)

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

    def _call_info(self, model: str) -> CallInfo:
        return CallInfo(
            provider=self.config.display_name,
            url=self.base_url,
            model=model,
            api_key=self.config.api_key,
            timeout=self.config.timeout,
            wire="OpenAI-compatible",
        )
