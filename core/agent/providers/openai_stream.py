"""Chat Completions stream chunks → Hearth events.

Tool calls arrive as fragments keyed by ``index``; each call is emitted whole
once the choice finishes. ``reasoning_content`` (DeepSeek, llama.cpp, vLLM) and
``reasoning`` (Ollama, OpenRouter) are extra fields of the delta.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .attempt import IncompleteStream
from .base import Event, Finish, ReasoningDelta, TextDelta, ToolCall, Usage

_REASONING_FIELDS = ("reasoning_content", "reasoning")


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)

    def complete(self) -> ToolCall:
        return ToolCall(
            id=self.id or f"call_{uuid.uuid4().hex[:24]}",
            name=self.name,
            arguments="".join(self.arguments) or "{}",
        )


def openai_events(chunks: Iterable[Any]) -> Iterator[Event]:
    calls: dict[int, _PartialCall] = {}
    finish: str | None = None
    emitted_calls = False
    usage: Usage | None = None
    for chunk in chunks:
        if getattr(chunk, "usage", None):
            usage = _usage(chunk.usage)
        for choice in getattr(chunk, "choices", None) or []:
            delta = getattr(choice, "delta", None)
            if delta is not None:
                yield from _delta_events(delta, calls)
            if getattr(choice, "finish_reason", None):
                finish = choice.finish_reason
                if calls and not emitted_calls:
                    emitted_calls = True
                    for index in sorted(calls):
                        yield calls[index].complete()
    if finish is None:
        raise IncompleteStream()
    if calls and finish == "stop":
        finish = "tool_calls"  # some local servers say "stop" after calling tools
    if usage is not None:
        yield usage
    yield Finish(finish)


def _delta_events(delta: Any, calls: dict[int, _PartialCall]) -> Iterator[Event]:
    for name in _REASONING_FIELDS:
        reasoning = getattr(delta, name, None)
        if isinstance(reasoning, str) and reasoning:
            yield ReasoningDelta(reasoning)
            break
    content = getattr(delta, "content", None)
    if isinstance(content, str) and content:
        yield TextDelta(content)
    for position, fragment in enumerate(getattr(delta, "tool_calls", None) or []):
        index = fragment.index if getattr(fragment, "index", None) is not None else position
        call = calls.setdefault(index, _PartialCall())
        if getattr(fragment, "id", None) and not call.id:
            call.id = fragment.id
        function = getattr(fragment, "function", None)
        if function is None:
            continue
        if getattr(function, "name", None) and not call.name:
            call.name = function.name
        if getattr(function, "arguments", None):
            call.arguments.append(function.arguments)


def _usage(usage: Any) -> Usage:
    if hasattr(usage, "model_dump"):
        raw = usage.model_dump(mode="json", exclude_none=True)
    else:
        raw = dict(usage)
    return Usage(
        input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        raw=raw,
    )
