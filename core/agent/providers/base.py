"""What every model provider shares: the events it yields, its settings, its errors.

Nothing here imports an SDK; ``openai`` and ``anthropic`` are loaded only when a
provider is built.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from core.cancel import CancelToken

ProviderKind = Literal["openai", "anthropic", "local"]

ERROR_KINDS = frozenset(
    {
        "auth",
        "rate_limited",
        "context_too_long",
        "model_not_found",
        "bad_request",
        "server_error",
        "network",
        "malformed_stream",
        "cancelled",
    }
)

# A model list is a small answer: a server that takes longer than this is not answering.
LIST_TIMEOUT_S = 20.0

# Kinds worth asking again for, as long as nothing of the answer has streamed yet.
RETRYABLE_KINDS = frozenset({"rate_limited", "server_error", "network"})


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True)
class ToolCall:
    """One complete tool call; ``arguments`` is the assembled JSON string."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Finish:
    """The last event of a successful stream: "stop", "tool_calls", "length", ..."""

    reason: str


# A stream yields ReasoningDelta and TextDelta as they come, then each ToolCall
# once complete, then Usage (when the server reports it), and Finish last. It
# ends without Finish only by raising ProviderError.
Event = TextDelta | ReasoningDelta | ToolCall | Usage | Finish


@dataclass(frozen=True)
class ProviderConfig:
    """How to reach one model service.

    ``kind`` is "openai" for any OpenAI-compatible endpoint (OpenAI, Ollama,
    llama.cpp, vLLM, LM Studio, OpenRouter...), "anthropic", or "local" (the built-in
    runtime; ``base_url`` is then the model file's ``file:`` URL).
    ``backoff`` lists the waits before each retry; its length bounds the retries
    together with ``max_retries``; ``max_retry_wait`` caps their sum.
    """

    kind: ProviderKind = "openai"
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    name: str = ""
    default_model: str = ""
    timeout: float = 600.0
    connect_timeout: float = 10.0
    max_retries: int = 3
    backoff: tuple[float, ...] = (0.5, 1.0, 2.0)
    max_retry_wait: float = 30.0
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def display_name(self) -> str:
        """What messages call the provider: its name, else "OpenAI"/"Anthropic" or the host."""
        if self.name:
            return self.name
        if self.base_url:
            return f"the server at {urlsplit(self.base_url).netloc or self.base_url}"
        return "Anthropic" if self.kind == "anthropic" else "OpenAI"


class ProviderError(Exception):
    """A model call that failed, with a sentence the user can act on.

    ``kind`` is one of ERROR_KINDS; ``retry_after`` is in seconds when the
    server said how long to wait; ``status`` is the HTTP status if there was one.
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        retryable: bool | None = None,
    ) -> None:
        if kind not in ERROR_KINDS:
            raise ValueError(f"unknown provider error kind: {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after
        self.status = status
        self.retryable = kind in RETRYABLE_KINDS if retryable is None else retryable

    def __repr__(self) -> str:
        return f"ProviderError({self.kind!r}, {self.message!r}, status={self.status!r})"


class Provider(Protocol):
    config: ProviderConfig

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
        """Stream one model answer; raises ProviderError (kind "cancelled" on cancel)."""
        ...

    def list_models(self, cancel: CancelToken | None = None) -> list[str]: ...

    def close(self) -> None: ...
