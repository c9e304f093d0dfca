"""The agent's workspace tools and the one way to run them.

``default_tools()`` gives the built-in tools; ``tool_schemas(tools)`` describes them to a
provider; ``run_tool(tool, args, ctx)`` runs one and always returns a ``ToolResult``.
Read-only tools may run at once; the others need the user's approval first (the turn loop's
job, using ``tool.read_only`` and ``tool.summary(args)``).
"""

from __future__ import annotations

from typing import Any

from .base import Tool, ToolContext, ToolError, ToolResult, run_tool
from .command import RunCommand
from .fetch import FetchUrl
from .listing import ListDirectory
from .reading import ReadFile
from .search import SearchFiles
from .workspace import hearth_folders_inside, hearth_private_paths
from .writing import EditFile, WriteFile

__all__ = [
    "Tool",
    "ToolContext",
    "ToolError",
    "ToolResult",
    "default_tools",
    "get_tool",
    "hearth_folders_inside",
    "hearth_private_paths",
    "run_tool",
    "tool_schemas",
]

_TOOL_CLASSES: tuple[type[Tool], ...] = (
    ListDirectory,
    ReadFile,
    SearchFiles,
    WriteFile,
    EditFile,
    RunCommand,
    FetchUrl,
)


def default_tools() -> list[Tool]:
    """A fresh instance of every built-in tool, read-only ones first."""
    return [cls() for cls in _TOOL_CLASSES]


def get_tool(name: str) -> Tool | None:
    """The built-in tool called ``name``, or None when there is none."""
    for cls in _TOOL_CLASSES:
        if cls.name == name:
            return cls()
    return None


def tool_schemas(tools: list[Tool]) -> list[dict[str, Any]]:
    """``{"name", "description", "parameters"}`` for each tool; providers convert these."""
    return [
        {"name": tool.name, "description": tool.description, "parameters": tool.parameters}
        for tool in tools
    ]
