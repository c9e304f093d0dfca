"""write_file and edit_file: changing text files of the workspace, atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .base import Tool, ToolContext, ToolError, ToolResult
from .workspace import relative, resolve

MAX_EDIT_BYTES = 10 * 1024 * 1024


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and os.replace.

    Readers see the old file or the new one, never half of it; the old file's permissions
    are kept.
    """
    mode = None
    with contextlib.suppress(FileNotFoundError):
        mode = path.stat().st_mode & 0o7777
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


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
        path = resolve(ctx.workspace, shown)
        if path.is_dir():
            raise ToolError(f"{shown!r} is a folder")
        existed = path.exists()
        data = args["content"].encode("utf-8")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data)
        except OSError as exc:
            raise ToolError(f"cannot write {shown!r}: {exc.strerror or exc}") from exc
        what = "replaced" if existed else "created"
        name = relative(ctx.workspace, path)
        return ToolResult(ok=True, output=f"Wrote {len(data):,} bytes to {name} ({what}).")


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
        path = resolve(ctx.workspace, shown)
        if not path.is_file():
            raise ToolError(
                f"{shown!r} does not exist"
                if not path.exists()
                else f"{shown!r} is not a regular file"
            )
        name = relative(ctx.workspace, path)
        if path.stat().st_size > MAX_EDIT_BYTES:
            raise ToolError(f"{name} is larger than {MAX_EDIT_BYTES // (1024 * 1024)} MB")
        raw = path.read_bytes()
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
            atomic_write(path, updated.encode("utf-8"))
        except OSError as exc:
            raise ToolError(f"cannot write {name}: {exc.strerror or exc}") from exc
        replaced = count if args.get("replace_all") else 1
        plural = "s" if replaced != 1 else ""
        return ToolResult(ok=True, output=f"Replaced {replaced} occurrence{plural} in {name}.")
