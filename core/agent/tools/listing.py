"""list_directory: what a folder of the workspace holds."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .base import Tool, ToolContext, ToolError, ToolResult
from .workspace import is_inside, relative, resolve, workspace_root

MAX_DEPTH = 5
NOT_DESCENDED = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv"})


class ListDirectory(Tool):
    name = "list_directory"
    read_only = True
    description = (
        "List the entries of a folder in the workspace: one line per entry with its type "
        "(dir, file, link), its size in bytes for files, and its path relative to the folder "
        "listed. Folders end with '/'. Set depth > 1 to list sub-folders too (at most "
        f"{MAX_DEPTH}; .git, node_modules, .venv and __pycache__ are listed but not entered). "
        "Shows at most 500 entries."
    )
    parameters = {
        "type": "object",
        "properties": {
            "path": {
                "type": "string",
                "description": "Folder relative to the workspace; default '.' (the workspace).",
            },
            "depth": {
                "type": "integer",
                "description": f"How many levels to list, 1 to {MAX_DEPTH}; default 1.",
            },
        },
        "required": [],
        "additionalProperties": False,
    }

    def summary(self, args: Mapping[str, Any]) -> str:
        return f"List `{args.get('path') or '.'}` in the workspace"

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        shown = args.get("path") or "."
        depth = args.get("depth", 1)
        if depth < 1:
            raise ToolError("depth must be at least 1")
        depth = min(depth, MAX_DEPTH)
        folder = resolve(ctx.workspace, shown)
        if not folder.exists():
            raise ToolError(f"{shown!r} does not exist")
        if not folder.is_dir():
            raise ToolError(f"{shown!r} is a file, not a folder; use read_file")
        root = workspace_root(ctx.workspace)
        lines: list[str] = []
        complete = _walk(folder, "", depth, root, lines, ctx)
        header = f"{relative(ctx.workspace, folder)}/"
        if not lines:
            return ToolResult(ok=True, output=f"{header} is empty.")
        if not complete:
            lines.append(
                f"[listing stopped at {ctx.max_entries} entries; "
                "list a sub-folder or use a smaller depth]"
            )
        return ToolResult(ok=True, output=header + "\n" + "\n".join(lines))


def _walk(
    folder: Path, prefix: str, depth: int, root: Path, lines: list[str], ctx: ToolContext
) -> bool:
    """Append entry lines; False when the entry cap stopped the listing."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: (not _is_dir(e), e.name.lower(), e.name))
    except OSError as exc:
        lines.append(f"{prefix or '.'}: cannot be read ({exc.strerror or exc})")
        return True
    for entry in entries:
        if len(lines) >= ctx.max_entries or ctx.cancel.is_set():
            return False
        rel = prefix + entry.name
        if entry.is_symlink():
            where = "inside" if is_inside(root, Path(entry.path)) else "outside"
            lines.append(f"link         {rel} (points {where} the workspace)")
        elif entry.is_dir(follow_symlinks=False):
            lines.append(f"dir          {rel}/")
            if depth > 1 and entry.name not in NOT_DESCENDED:
                if not _walk(Path(entry.path), rel + "/", depth - 1, root, lines, ctx):
                    return False
        else:
            size = _size(entry)
            lines.append(f"file {size:>7} {rel}")
    return True


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _size(entry: os.DirEntry[str]) -> str:
    try:
        return f"{entry.stat(follow_symlinks=False).st_size:,}"
    except OSError:
        return "?"
