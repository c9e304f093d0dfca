"""What both SDK-backed providers share: the client set-up, retries, cancel, model lists.

A subclass says how to build its SDK client, how to turn Hearth's messages into a
request, how to open the stream, how to read its events and how to list model ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from core.cancel import CancelToken

from .attempt import guarded_attempt
from .base import Event, ProviderConfig
from .cancel import CallGuard
from .errors import CallInfo, cancelled, map_listing_exception
from .http import http_timeout, make_http_client
from .retry import call_with_retries, stream_with_retries

# Local servers and proxies may need no key, but the SDKs insist on one.
PLACEHOLDER_KEY = "not-needed"


class SDKProvider:
    wire = ""  # how messages name the wire format, e.g. "OpenAI-compatible"
    events: Callable[..., Iterator[Event]]  # reads the SDK's stream into Hearth's events

    def __init__(self, config: ProviderConfig, base_url: str, client_class: Any) -> None:
        self.config = config
        self.base_url = base_url
        self._http = make_http_client(config)
        self._client = client_class(
            api_key=config.api_key or PLACEHOLDER_KEY,
            base_url=base_url,
            timeout=http_timeout(config),
            max_retries=0,  # retries are ours: never after part of an answer streamed
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
        cancel: CancelToken | None = None,
    ) -> Iterator[Event]:
        """Stream one answer. On cancel, raises ProviderError(kind="cancelled")."""
        model = model or self.config.default_model
        call = self._call_info(model)
        request = self._request(messages, model, tools, system, dict(options or {}))
        events = type(self).events
        yield from stream_with_retries(
            lambda: guarded_attempt(lambda: self._open(request), events, call, cancel),
            self.config,
            cancel,
            lambda: cancelled(call),
        )

    def list_models(self, cancel: CancelToken | None = None) -> list[str]:
        """The provider's model ids; a cancelled ``cancel`` ends the call at once."""
        call = self._call_info(self.config.default_model)

        def fetch() -> list[str]:
            with CallGuard(cancel) as guard:
                try:
                    with guard.opening():
                        return self._model_ids()
                except Exception as exc:
                    if guard.cancelled:
                        raise cancelled(call) from exc
                    raise map_listing_exception(exc, call) from exc

        return call_with_retries(fetch, self.config, cancel)

    def close(self) -> None:
        self._client.close()

    def _call_info(self, model: str | None) -> CallInfo:
        return CallInfo(
            provider=self.config.display_name,
            url=self.base_url,
            model=model,
            api_key=self.config.api_key,
            timeout=self.config.timeout,
            wire=self.wire,
        )

    # --- what each provider says for itself ------------------------------------------

    def _request(
        self,
        messages: Sequence[Mapping[str, Any]],
        model: str | None,
        tools: Sequence[Mapping[str, Any]],
        system: str | None,
        options: dict[str, Any],
    ) -> dict[str, Any]:
        raise NotImplementedError

    def _open(self, request: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _model_ids(self) -> list[str]:
        raise NotImplementedError
