"""list_directory: what a folder of the workspace holds."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from typing import Any

from .base import Tool, ToolContext, ToolError, ToolResult
from .names import shown_name
from .opening import Folder, Workspace, kind_of, shown_path

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
        with Workspace(ctx) as ws:
            folder, parts = ws.open_folder(shown)
            try:
                lines: list[str] = []
                complete = _walk(ws, folder, parts, "", depth, lines, ctx)
            finally:
                if folder is not ws.root:
                    folder.close()
        header = f"{shown_path(parts)}/"
        if not lines:
            return ToolResult(ok=True, output=f"{header} is empty.")
        if not complete:
            lines.append(
                f"[listing stopped at {ctx.max_entries} entries; "
                "list a sub-folder or use a smaller depth]"
            )
        return ToolResult(ok=True, output=header + "\n" + "\n".join(lines))


def _walk(
    ws: Workspace,
    folder: Folder,
    parts: tuple[str, ...],
    prefix: str,
    depth: int,
    lines: list[str],
    ctx: ToolContext,
) -> bool:
    """Append entry lines; False when the entry cap stopped the listing."""
    try:
        entries = sorted(folder.entries(), key=lambda e: (not _is_dir(e), e.name.lower(), e.name))
    except OSError as exc:
        lines.append(f"{prefix or '.'}: cannot be read ({exc.strerror or exc})")
        return True
    for entry in entries:
        if len(lines) >= ctx.max_entries or ctx.cancel.is_set():
            return False
        rel = prefix + shown_name(entry.name)
        info = _lstat(entry)
        if ws.is_hidden((*parts, entry.name), info):
            lines.append(f"hidden       {rel}/ (Hearth's own folder; tools cannot open it)")
        elif entry.is_symlink():
            lines.append(f"link         {rel} (points {_where(ws, (*parts, entry.name))})")
        elif _is_dir(entry):
            lines.append(f"dir          {rel}/")
            if depth > 1 and entry.name not in NOT_DESCENDED:
                try:
                    child = folder.child(entry.name)
                except OSError:
                    lines.append(f"{rel}/: cannot be read (it changed while being listed)")
                    continue
                try:
                    more = _walk(ws, child, (*parts, entry.name), rel + "/", depth - 1, lines, ctx)
                finally:
                    child.close()
                if not more:
                    return False
        elif info is not None and not stat.S_ISREG(info.st_mode):
            lines.append(f"other        {rel} ({kind_of(info)})")
        else:
            size = f"{info.st_size:,}" if info is not None else "?"
            lines.append(f"file {size:>7} {rel}")
    return True


def _where(ws: Workspace, parts: tuple[str, ...]) -> str:
    """Where a link leads, found by walking it the same way the tools would."""
    try:
        spot = ws.locate("/".join(parts))
    except ToolError as exc:
        if "loop" in exc.message:
            return "round in a loop"
        if "Hearth" in exc.message:
            return "into Hearth's own folders"
        return "outside the workspace"
    spot.close()
    return "inside the workspace"


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _lstat(entry: os.DirEntry[str]) -> os.stat_result | None:
    try:
        return entry.stat(follow_symlinks=False)
    except OSError:
        return None
