"""Anthropic Messages stream events → Hearth events.

Text and thinking deltas pass straight through; a ``tool_use`` block's
``input_json_delta`` fragments are joined and the call is emitted when its block
stops. Usage comes from ``message_start`` (input) and ``message_delta`` (output).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .attempt import IncompleteStream
from .base import Event, Finish, ReasoningDelta, TextDelta, ToolCall, Usage

# Cached prompt tokens are input too; raw keeps the split.
_INPUT_KEYS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
_STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
}


@dataclass
class _ToolBlock:
    id: str
    name: str
    initial_input: Any
    fragments: list[str] = field(default_factory=list)

    def complete(self) -> ToolCall:
        arguments = "".join(self.fragments)
        if not arguments:
            arguments = json.dumps(self.initial_input or {})
        return ToolCall(id=self.id, name=self.name, arguments=arguments)


def anthropic_events(events: Iterable[Any]) -> Iterator[Event]:
    tools: dict[int, _ToolBlock] = {}
    usage: dict[str, Any] = {}
    stop_reason: str | None = None
    stopped = False
    for event in events:
        kind = getattr(event, "type", None)
        if kind == "message_start":
            usage.update(_dump(getattr(event.message, "usage", None)))
        elif kind == "content_block_start":
            block = event.content_block
            if getattr(block, "type", None) == "tool_use":
                tools[event.index] = _ToolBlock(block.id, block.name, getattr(block, "input", None))
        elif kind == "content_block_delta":
            yield from _delta(event.index, event.delta, tools)
        elif kind == "content_block_stop":
            if event.index in tools:
                yield tools.pop(event.index).complete()
        elif kind == "message_delta":
            stop_reason = getattr(event.delta, "stop_reason", None) or stop_reason
            usage.update({k: v for k, v in _dump(getattr(event, "usage", None)).items() if v})
        elif kind == "message_stop":
            stopped = True
    if not stopped:
        raise IncompleteStream()
    if usage:
        yield Usage(
            input_tokens=sum(int(usage.get(key) or 0) for key in _INPUT_KEYS),
            output_tokens=int(usage.get("output_tokens") or 0),
            raw=usage,
        )
    reason = stop_reason or "stop"
    yield Finish(_STOP_REASONS.get(reason, reason))


def _delta(index: int, delta: Any, tools: dict[int, _ToolBlock]) -> Iterator[Event]:
    kind = getattr(delta, "type", None)
    if kind == "text_delta" and delta.text:
        yield TextDelta(delta.text)
    elif kind == "thinking_delta" and delta.thinking:
        yield ReasoningDelta(delta.thinking)
    elif kind == "input_json_delta" and index in tools:
        tools[index].fragments.append(delta.partial_json or "")


def _dump(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    return dict(value)
