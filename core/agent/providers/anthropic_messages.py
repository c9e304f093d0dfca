"""Hearth's messages and tools in the Anthropic Messages wire format.

The system prompt travels apart; tool calls become ``tool_use`` blocks of the
assistant turn; tool results become ``tool_result`` blocks of a user turn; turns
of the same role that follow each other are merged into one, so consecutive
tool results (and a user message after them) share one user turn. A final assistant turn
(a Continue) is the answer for the model to go on with: its text must not end with
whitespace, which the API refuses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


def to_anthropic_request(
    messages: Sequence[Mapping[str, Any]], system: str | None = None
) -> tuple[str | None, list[dict[str, Any]]]:
    """(system prompt, messages); "system" messages in the history join the prompt."""
    system_parts = [system] if system else []
    turns: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role == "system":
            if message.get("content"):
                system_parts.append(message["content"])
            continue
        wire_role, blocks = _blocks(message)
        if not blocks:
            continue  # Anthropic rejects empty turns (an answer cancelled before any text)
        if turns and turns[-1]["role"] == wire_role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": wire_role, "content": blocks})
    if turns and turns[-1]["role"] == "assistant":
        _strip_final_text(turns)
    return ("\n\n".join(system_parts) or None), turns


def _strip_final_text(turns: list[dict[str, Any]]) -> None:
    blocks = turns[-1]["content"]
    if blocks[-1].get("type") != "text":
        return
    blocks[-1] = _text(blocks[-1]["text"].rstrip())
    if not blocks[-1]["text"]:
        blocks.pop()
        if not blocks:
            turns.pop()


def _blocks(message: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    role = message.get("role")
    content = message.get("content") or ""
    if role == "user":
        blocks = [_part(part) for part in message.get("parts") or ()]
        return "user", blocks + ([_text(content)] if content else [])
    if role == "assistant":
        blocks = [_text(content)] if content else []
        for call in message.get("tool_calls") or []:
            blocks.append(
                {
                    "type": "tool_use",
                    "id": call["id"],
                    "name": call["name"],
                    "input": _tool_input(call.get("arguments")),
                }
            )
        return "assistant", blocks
    if role == "tool":
        result: dict[str, Any] = {
            "type": "tool_result",
            "tool_use_id": message.get("tool_call_id", ""),
            "content": content,
        }
        if message.get("is_error"):
            result["is_error"] = True
        return "user", [result]
    raise ValueError(f"unknown message role: {role!r}")


def _part(part: Mapping[str, Any]) -> dict[str, Any]:
    """An attachment: an image as a base64 image block, a document as its text."""
    if part.get("type") == "image":
        source = {"type": "base64", "media_type": part["media_type"], "data": part["data"]}
        return {"type": "image", "source": source}
    return _text(part.get("text", ""))


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _tool_input(arguments: Any) -> dict[str, Any]:
    """Anthropic wants an object; keep a model's unparsable arguments visible to it."""
    if isinstance(arguments, dict):
        return arguments
    if not arguments:
        return {}
    try:
        value = json.loads(arguments)
    except ValueError:
        return {"raw_arguments": arguments}
    return value if isinstance(value, dict) else {"value": value}


def to_anthropic_tools(tools: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "name": tool["name"],
            "description": tool.get("description", ""),
            "input_schema": tool.get("parameters") or {"type": "object", "properties": {}},
        }
        for tool in tools
    ]
