"""The built-in provider: a GGUF model served by the runtime's child process, spoken to
through the OpenAI-compatible provider, so streaming, cancel and errors work as for any
server.

Its ProviderConfig has kind "local" and ``base_url`` the model file as a ``file:`` URL
(settings resolve the model's name to its file). ``HEARTH_LOCAL_MAX_TOKENS`` caps each answer
(the tests keep it small).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from core.agent.providers.base import Event, ProviderConfig, ProviderError
from core.cancel import CancelToken

from .models import BUILTIN_FILE
from .runtime import Endpoint, Runtime, RuntimeFailed, runtime

MAX_TOKENS_ENV = "HEARTH_LOCAL_MAX_TOKENS"
DISPLAY_NAME = "the built-in model"


def model_file(config: ProviderConfig) -> Path | None:
    if not config.base_url or not config.base_url.startswith("file:"):
        return None
    return Path(url2pathname(urlsplit(config.base_url).path))


class LocalProvider:
    """Runs one model file in the shared runtime."""

    def __init__(self, config: ProviderConfig, runtime_: Runtime | None = None) -> None:
        self.config = config
        self.model = model_file(config)
        self._runtime = runtime_ or runtime()
        self._clients: dict[Endpoint, Any] = {}
        self._lock = threading.Lock()

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
        if self.model is None or not self.model.is_file():
            raise ProviderError(
                "model_not_found",
                f"The model file {self.model or model} is not there. Choose another model in "
                "the Models page, or a provider in Settings.",
            )
        options = dict(options or {})
        limit = os.environ.get(MAX_TOKENS_ENV, "").strip()
        if limit.isdigit() and "max_tokens" not in options:
            options["max_tokens"] = int(limit)
        try:
            with self._runtime.using(self.model) as endpoint:
                client = self._client(endpoint)
                try:
                    yield from client.stream(
                        messages,
                        model=self.model.name,
                        tools=tools,
                        system=system,
                        options=options,
                        cancel=cancel,
                    )
                except ProviderError as exc:
                    if exc.kind == "cancelled" or self._runtime.is_alive(endpoint, grace=1.0):
                        raise
                    self._drop(endpoint)
                    raise ProviderError(
                        "server_error",
                        "The built-in model stopped while answering (it may have run out of "
                        "memory). What it wrote so far is kept; send your message again to "
                        "restart it, or choose a smaller model or a provider in Settings.",
                        retryable=False,
                    ) from exc
        except RuntimeFailed as exc:
            raise ProviderError("server_error", str(exc), retryable=False) from exc

    def list_models(self, cancel: object = None) -> list[str]:
        return [self.model.name if self.model else BUILTIN_FILE]

    def close(self) -> None:
        """Close this provider's own clients. The runtime is shared with every other
        LocalProvider (the agent closes a duplicate built by a concurrent run), so it is left
        running: its idle timer stops it, and so does Hearth's exit (atexit)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def _client(self, endpoint: Endpoint) -> Any:
        with self._lock:
            client = self._clients.get(endpoint)
            if client is None:
                from core.agent.providers.openai_provider import OpenAIProvider

                stale, self._clients = list(self._clients.values()), {}
                client = self._clients[endpoint] = OpenAIProvider(
                    ProviderConfig(
                        kind="openai",
                        base_url=endpoint.base_url,
                        api_key=endpoint.api_key,
                        name=DISPLAY_NAME,
                        max_retries=0,
                        connect_timeout=5.0,
                    )
                )
            else:
                stale = []
        for old in stale:
            old.close()
        return client

    def _drop(self, endpoint: Endpoint) -> None:
        self._runtime.forget(endpoint)
        with self._lock:
            client = self._clients.pop(endpoint, None)
        if client is not None:
            client.close()
