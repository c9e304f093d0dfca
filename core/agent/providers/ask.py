"""One question to a model, its answer as text: no tools, no history (a chat's title, a
summary of its oldest turns)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .base import ProviderError, TextDelta


def answer_text(
    provider: Any,
    model: str,
    question: str,
    *,
    system: str,
    cancel: Any,
    options: Mapping[str, Any] | None = None,
    on_text: Callable[[str], None] | None = None,
    max_chars: int | None = None,
    stopped: str = "The request was stopped.",
) -> str:
    """The text the model answers ``question`` with, offered no tools; read no further once
    it is longer than ``max_chars``. Raises ProviderError on a failed call, and with
    ``stopped`` as its message once ``cancel`` is set."""
    pieces: list[str] = []
    length = 0
    events = provider.stream(
        [{"role": "user", "content": question}],
        model=model,
        tools=[],
        system=system,
        options=dict(options) if options else None,
        cancel=cancel,
    )
    try:
        for event in events:
            if cancel is not None and cancel.is_set():
                raise ProviderError("cancelled", stopped)
            if isinstance(event, TextDelta) and event.text:
                pieces.append(event.text)
                length += len(event.text)
                if on_text is not None:
                    on_text(event.text)
                if max_chars is not None and length > max_chars:
                    break
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()
    return "".join(pieces)
