"""write_file and edit_file: changing text files of the workspace, atomically.

The new content goes to a temporary file created (O_EXCL) in the target's folder, opened
race-free, then renamed over the target within that same folder: readers see the old file or
the new one, and nothing is ever created outside the workspace.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from typing import Any

from .base import Tool, ToolContext, ToolError, ToolResult
from .names import shown_name, valid_text
from .opening import MAX_RETRIES, Spot, Workspace, reason, refuse_irregular

MAX_EDIT_BYTES = 10 * 1024 * 1024


class WriteFile(Tool):
    name = "write_file"
    read_only = False
    description = (
        "Create or overwrite a text file in the workspace with the given content (UTF-8). "
        "Missing parent folders are created. The write is atomic: the file is replaced whole. "
        "To change part of an existing file, prefer edit_file."
    )
    parameters = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path relative to the workspace."},
            "content": {"type": "string", "description": "The whole new content of the file."},
        },
        "required": ["path", "content"],
        "additionalProperties": False,
    }

    def summary(self, args: Mapping[str, Any]) -> str:
        content = args.get("content")
        size = len(content.encode("utf-8", "replace")) if isinstance(content, str) else 0
        return f"Write {size:,} bytes to `{args.get('path', '')}`"

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        shown = args["path"]
        data_bytes = valid_text(args["content"]).encode("utf-8")
        with Workspace(ctx) as ws:
            try:
                spot = ws.locate(shown, make_folders=True)
            except OSError as exc:
                raise ToolError(f"cannot write {shown_name(shown)!r}: {reason(exc)}") from exc
            try:
                if spot.name is None or (spot.info and stat.S_ISDIR(spot.info.st_mode)):
                    raise ToolError(f"{shown_name(shown)!r} is a folder")
                if spot.info is not None:
                    refuse_irregular(spot.info, spot.rel)
                mode = stat.S_IMODE(spot.info.st_mode) if spot.info is not None else None
                ws.replace_file(spot, data_bytes, mode)
            except OSError as exc:
                raise ToolError(f"cannot write {spot.rel!r}: {reason(exc)}") from exc
            finally:
                spot.close()
        what = "replaced" if spot.info is not None else "created"
        return ToolResult(
            ok=True, output=f"Wrote {len(data_bytes):,} bytes to {spot.rel} ({what})."
        )


class EditFile(Tool):
    name = "edit_file"
    read_only = False
    description = (
        "Replace exact text in a UTF-8 text file of the workspace. old_text must match the "
        "file exactly (spaces, indentation and line breaks included) and, unless replace_all "
        "is true, exactly once: include a few surrounding lines to make it unique. When it is "
        "not found or found several times, nothing is changed and the error says so."
    )
    parameters = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path relative to the workspace."},
            "old_text": {"type": "string", "description": "Exact text to replace."},
            "new_text": {"type": "string", "description": "Text to put in its place."},
            "replace_all": {
                "type": "boolean",
                "description": "Replace every occurrence instead of exactly one; default false.",
            },
        },
        "required": ["path", "old_text", "new_text"],
        "additionalProperties": False,
    }

    def summary(self, args: Mapping[str, Any]) -> str:
        old, new = args.get("old_text"), args.get("new_text")
        old_lines = old.count("\n") + 1 if isinstance(old, str) else 0
        new_lines = new.count("\n") + 1 if isinstance(new, str) else 0
        every = " everywhere" if args.get("replace_all") else ""
        return (
            f"Edit `{args.get('path', '')}`: replace {old_lines} line(s) "
            f"with {new_lines} line(s){every}"
        )

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        shown, old, new = args["path"], args["old_text"], args["new_text"]
        if not old:
            raise ToolError("old_text is empty; use write_file to create or overwrite a file")
        if old == new:
            raise ToolError("old_text and new_text are the same; nothing to change")
        with Workspace(ctx) as ws:
            for _ in range(MAX_RETRIES):
                spot = ws.locate(shown)
                try:
                    opened = ws.open_spot(spot, shown)
                    if opened is not None:
                        return _edit(ws, spot, opened, args)
                finally:
                    spot.close()
        raise ToolError(f"{shown_name(shown)!r} kept changing while it was opened")


def _edit(
    ws: Workspace, spot: Spot, opened: tuple[int, os.stat_result], args: dict[str, Any]
) -> ToolResult:
    old, new = args["old_text"], args["new_text"]
    name = spot.rel
    fd, info = opened
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > MAX_EDIT_BYTES:
            raise ToolError(f"{name} is larger than {MAX_EDIT_BYTES // (1024 * 1024)} MB")
        raw = handle.read(MAX_EDIT_BYTES + 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ToolError(f"{name} is not UTF-8 text; it was not changed") from exc
    count = text.count(old)
    if count == 0:
        hint = ""
        if "\r\n" in text and "\n" in old and "\r\n" not in old:
            hint = " (the file uses CRLF line endings)"
        raise ToolError(
            f"old_text was not found in {name}{hint}; check spaces, indentation and "
            "line breaks, or read the file again"
        )
    if count > 1 and not args.get("replace_all"):
        raise ToolError(
            f"old_text was found {count} times in {name}; give more context or set replace_all"
        )
    updated = text.replace(old, new) if args.get("replace_all") else text.replace(old, new, 1)
    try:
        ws.replace_file(spot, valid_text(updated).encode("utf-8"), stat.S_IMODE(info.st_mode))
    except OSError as exc:
        raise ToolError(f"cannot write {name}: {exc.strerror or exc}") from exc
    replaced = count if args.get("replace_all") else 1
    plural = "s" if replaced != 1 else ""
    return ToolResult(ok=True, output=f"Replaced {replaced} occurrence{plural} in {name}.")
