"""An MCP server's tool as a Hearth tool: its name, schema and pin, and its result as text.

The model sees ``server__tool`` (sanitized to the providers' rule ``^[a-zA-Z0-9_-]{1,64}$``,
a short hash added when two would collide). ``read_only`` is always False: a server's
hints (``readOnlyHint`` and the like) are its own word, not the user's, so every MCP tool
starts at "ask". The pin is a hash of the tool's name, description and input schema, as
the server gave them; the approval ledger compares it with the one the user allowed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from core.agent.tools.base import Tool, ToolContext, ToolError, ToolResult, truncation_note

MAX_RESULT = 200_000  # characters of one result kept (the model gets less: ToolContext caps)
MAX_DESCRIPTION = 4_000  # characters of a tool's description the model sees
_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")


def exposed_name(server: str, tool: str, taken: set[str]) -> str:
    """A provider-safe name for ``tool`` of ``server`` not in ``taken`` (which it joins)."""
    base = f"{_UNSAFE.sub('_', server)}__{_UNSAFE.sub('_', tool)}"
    name = base[:64]
    if name in taken:
        digest = hashlib.sha256(f"{server}\0{tool}".encode()).hexdigest()[:8]
        name = f"{base[:55]}_{digest}"
    n = 2
    while name in taken:
        name, n = f"{base[:52]}_{digest}{n}", n + 1
    taken.add(name)
    return name


def definition(tool: Any) -> dict[str, Any]:
    """What is pinned of an MCP tool: its name, description and input schema."""
    return {
        "name": tool.name,
        "description": tool.description or "",
        "input_schema": tool.input_schema or {},
    }


def pin_of(defined: Mapping[str, Any]) -> str:
    text = json.dumps(defined, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> str:
    """One sentence saying what changed in a tool since the user allowed it."""
    if not before:
        return "The server changed this tool since you allowed it."
    parts = []
    if before.get("description") != after.get("description"):
        parts.append(
            f"its description changed from {_quote(before.get('description'))} "
            f"to {_quote(after.get('description'))}"
        )
    old = before.get("input_schema") or {}
    new = after.get("input_schema") or {}
    if old != new:
        old_props = set((old.get("properties") or {}).keys())
        new_props = set((new.get("properties") or {}).keys())
        added, removed = sorted(new_props - old_props), sorted(old_props - new_props)
        bits = []
        if added:
            bits.append(f"new arguments: {', '.join(added)}")
        if removed:
            bits.append(f"arguments removed: {', '.join(removed)}")
        if not bits:
            bits.append("its arguments' details changed")
        parts.append("its input schema changed (" + "; ".join(bits) + ")")
    if not parts:
        return "The server changed this tool since you allowed it."
    return "Since you allowed this tool, " + " and ".join(parts) + "."


def _quote(text: Any) -> str:
    text = str(text or "")
    return repr(text if len(text) <= 160 else text[:157] + "...")


class McpTool(Tool):
    """One tool of one MCP server, run through the hub."""

    read_only = False
    pinned = True

    def __init__(self, hub: Any, server: str, tool: Any, name: str) -> None:
        self.hub = hub
        self.server = server
        self.server_tool = tool.name
        self.name = name
        self.definition = definition(tool)
        self.pin = pin_of(self.definition)
        description = (tool.description or "").strip()
        if len(description) > MAX_DESCRIPTION:
            description = description[:MAX_DESCRIPTION] + " [description cut]"
        self.description = f"[{server} MCP server] {description}".strip()
        schema = dict(tool.input_schema or {})
        schema.setdefault("type", "object")
        schema.setdefault("properties", {})
        self.parameters = schema

    def summary(self, args: Mapping[str, Any]) -> str:
        return f"Use `{self.server_tool}` of the MCP server `{self.server}`"

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        result = self.hub.call(self.server, self.server_tool, args, cancel=ctx.cancel)
        return as_tool_result(result)


def as_tool_result(result: Any) -> ToolResult:
    """An MCP CallToolResult as text: text parts as they are, other parts described."""
    parts: list[str] = []
    for block in getattr(result, "content", None) or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind in ("image", "audio"):
            size = len(getattr(block, "data", "") or "") * 3 // 4
            parts.append(f"[{kind}: {getattr(block, 'mime_type', '?')}, about {size:,} bytes]")
        elif kind == "resource":
            resource = block.resource
            text = getattr(resource, "text", None)
            parts.append(text if text is not None else f"[resource {resource.uri}]")
        elif kind == "resource_link":
            parts.append(f"[link: {getattr(block, 'uri', '')}]")
        else:
            parts.append(f"[{kind or 'unknown'} content]")
    structured = getattr(result, "structured_content", None)
    if not parts and structured is not None:
        parts.append(json.dumps(structured, ensure_ascii=False, indent=2))
    text = "\n".join(parts)
    if len(text) > MAX_RESULT:
        text = text[:MAX_RESULT] + "\n" + truncation_note(MAX_RESULT, len(text))
    if getattr(result, "is_error", False):
        return ToolResult(ok=False, output="Error: " + (text or "the tool reported an error"))
    return ToolResult(ok=True, output=text or "(the tool returned nothing)")


__all__ = ["McpTool", "ToolError", "as_tool_result", "changes", "exposed_name", "pin_of"]
