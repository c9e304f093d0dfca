"""read_file: a text file of the workspace, with line numbers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .base import Tool, ToolContext, ToolError, ToolResult
from .opening import Workspace
from .textfile import SNIFF_BYTES, iter_lines, looks_binary


class ReadFile(Tool):
    name = "read_file"
    read_only = True
    description = (
        "Read a UTF-8 text file from the workspace. Lines come numbered ('    12\\tcode'). "
        "Use start_line and end_line (1-based, inclusive) to read part of a big file. One call "
        "returns at most about 256 KB and 30,000 characters; when the file goes on, the output "
        "ends with a note saying which start_line to use next. Binary files are refused."
    )
    parameters = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path relative to the workspace."},
            "start_line": {"type": "integer", "description": "First line to show (1-based)."},
            "end_line": {"type": "integer", "description": "Last line to show (inclusive)."},
        },
        "required": ["path"],
        "additionalProperties": False,
    }

    def summary(self, args: Mapping[str, Any]) -> str:
        where = ""
        if args.get("start_line") or args.get("end_line"):
            where = f" lines {args.get('start_line') or 1}–{args.get('end_line') or 'end'}"
        return f"Read `{args.get('path', '')}`{where}"

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        shown = args["path"]
        start = args.get("start_line") or 1
        end = args.get("end_line")
        if start < 1:
            raise ToolError("start_line must be 1 or more")
        if end is not None and end < start:
            raise ToolError("end_line must not be before start_line")
        with Workspace(ctx) as ws:
            fd, name, info = ws.open_file(shown)
        size = info.st_size
        budget_chars = max(ctx.output_cap - 200, 1000)  # leave room for the closing note
        lines: list[str] = []
        chars = bytes_read = 0
        last = start - 1
        more = False
        with os.fdopen(fd, "rb") as handle:
            if looks_binary(handle.read(SNIFF_BYTES)):
                raise ToolError(f"{name} looks like a binary file (not UTF-8 text); not shown")
            handle.seek(0)
            for number, (text, _consumed) in enumerate(iter_lines(handle), start=1):
                if number % 1000 == 0 and ctx.cancel.is_set():
                    raise ToolError("the read was cancelled")
                if number < start:
                    continue
                if end is not None and number > end:
                    break
                line = f"{number:>6}\t{text}"
                shown_bytes = len(text.encode("utf-8")) + 1
                if lines and (
                    chars + len(line) + 1 > budget_chars or bytes_read + shown_bytes > ctx.read_cap
                ):
                    more = True
                    break
                lines.append(line)
                chars += len(line) + 1
                bytes_read += shown_bytes
                last = number
        if not lines:
            if size == 0:
                return ToolResult(ok=True, output=f"{name} is empty.")
            raise ToolError(f"{name} has fewer than {start} lines")
        if more:
            lines.append(
                f"[file continues: showed lines {start}–{last} of {name} ({size:,} bytes); "
                f"read on with start_line={last + 1}]"
            )
        return ToolResult(ok=True, output="\n".join(lines))
