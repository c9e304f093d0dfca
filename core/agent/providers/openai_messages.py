"""Hearth's messages and tools in the Chat Completions wire format."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def to_openai_messages(
    messages: Sequence[Mapping[str, Any]], system: str | None = None
) -> list[dict[str, Any]]:
    wire: list[dict[str, Any]] = []
    if system:
        wire.append({"role": "system", "content": system})
    for message in messages:
        role = message.get("role")
        content = message.get("content") or ""
        if role == "assistant":
            wire.append(_assistant(content, message.get("tool_calls") or []))
        elif role == "tool":
            call_id = message.get("tool_call_id", "")
            wire.append({"role": "tool", "tool_call_id": call_id, "content": content})
        elif role == "user" and message.get("parts"):
            wire.append({"role": "user", "content": _user_parts(content, message["parts"])})
        elif role in ("user", "system"):
            wire.append({"role": role, "content": content})
        else:
            raise ValueError(f"unknown message role: {role!r}")
    return wire


def _user_parts(content: str, parts: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Attachments first (images as data URLs, documents as text), then what the user wrote."""
    wire: list[dict[str, Any]] = []
    for part in parts:
        if part.get("type") == "image":
            url = f"data:{part['media_type']};base64,{part['data']}"
            wire.append({"type": "image_url", "image_url": {"url": url}})
        else:
            wire.append({"type": "text", "text": part.get("text", "")})
    if content:
        wire.append({"type": "text", "text": content})
    return wire


def _assistant(content: str, tool_calls: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    if not tool_calls:
        return {"role": "assistant", "content": content}
    return {
        "role": "assistant",
        "content": content or None,
        "tool_calls": [
            {
                "id": call["id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": call.get("arguments") or "{}"},
            }
            for call in tool_calls
        ],
    }


def to_openai_tools(tools: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": tool["name"],
                "description": tool.get("description", ""),
                "parameters": tool.get("parameters") or {"type": "object", "properties": {}},
            },
        }
        for tool in tools
    ]
