"""search_files: grep the workspace's text files with a Python regular expression."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .base import Tool, ToolContext, ToolError, ToolResult
from .textfile import iter_lines, looks_binary
from .workspace import is_inside, relative, resolve, workspace_root

SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
    }
)
MAX_MATCH_LINE = 300


class SearchFiles(Tool):
    name = "search_files"
    read_only = True
    description = (
        "Search the text files of the workspace for a Python regular expression, line by line. "
        "Returns 'relative/path:line: text' for each matching line, at most 200 matches. "
        "Narrow it with path (a sub-folder or one file) and glob (a file name pattern such as "
        "'*.py', or 'src/**/*.ts' to match the relative path). Skips binary files, files over "
        "1 MB, and the folders .git, node_modules, .venv, venv, __pycache__ and tool caches "
        "(unless path points inside one). Matching is case-sensitive; use (?i) to ignore case."
    )
    parameters = {
        "type": "object",
        "properties": {
            "pattern": {"type": "string", "description": "Python regular expression."},
            "path": {
                "type": "string",
                "description": "Folder or file to search, relative to the workspace; default '.'.",
            },
            "glob": {"type": "string", "description": "Only files matching this pattern."},
        },
        "required": ["pattern"],
        "additionalProperties": False,
    }

    def summary(self, args: Mapping[str, Any]) -> str:
        where = args.get("path") or "."
        glob = f" ({args['glob']})" if args.get("glob") else ""
        return f"Search `{args.get('pattern', '')}` in `{where}`{glob}"

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        try:
            regex = re.compile(args["pattern"])
        except re.error as exc:
            raise ToolError(f"invalid regular expression {args['pattern']!r}: {exc}") from exc
        shown = args.get("path") or "."
        start = resolve(ctx.workspace, shown)
        if not start.exists():
            raise ToolError(f"{shown!r} does not exist")
        root = workspace_root(ctx.workspace)
        glob = args.get("glob") or None
        matches: list[str] = []
        skipped = files = 0
        stopped = False
        for path in _files(start, root):
            if ctx.cancel.is_set():
                raise ToolError("the search was cancelled")
            rel = relative(ctx.workspace, path)
            if glob and not _glob_matches(glob, rel):
                continue
            found = _search_file(path, rel, regex, ctx, ctx.max_matches - len(matches))
            if found is None:
                skipped += 1
                continue
            files += 1
            matches.extend(found)
            if len(matches) >= ctx.max_matches:
                stopped = True
                break
        if stopped:
            matches.append(
                f"[stopped at {ctx.max_matches} matches; narrow the pattern, path or glob]"
            )
        elif not matches:
            note = f" ({skipped} binary or large files skipped)" if skipped else ""
            return ToolResult(ok=True, output=f"No matches in {files} files searched{note}.")
        elif skipped:
            matches.append(f"[{skipped} binary or large files skipped]")
        return ToolResult(ok=True, output="\n".join(matches))


def _files(start: Path, root: Path) -> Iterator[Path]:
    if start.is_file():
        yield start
        return
    for folder, dirnames, filenames in os.walk(start, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for filename in sorted(filenames):
            path = Path(folder, filename)
            if path.is_symlink() and not is_inside(root, path):
                continue
            if path.is_file():
                yield path


def _glob_matches(glob: str, rel: str) -> bool:
    if "/" in glob:
        return fnmatch.fnmatchcase(rel, glob) or fnmatch.fnmatchcase(rel, glob.replace("**/", ""))
    return fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], glob)


def _search_file(
    path: Path, rel: str, regex: re.Pattern[str], ctx: ToolContext, room: int
) -> list[str] | None:
    """Matching lines of one file, or None when the file is skipped (binary, big, unreadable)."""
    try:
        if path.stat().st_size > ctx.search_file_cap:
            return None
        with open(path, "rb") as handle:
            if looks_binary(handle.read(8192)):
                return None
            handle.seek(0)
            found: list[str] = []
            for number, (text, _) in enumerate(iter_lines(handle), start=1):
                if regex.search(text):
                    if len(text) > MAX_MATCH_LINE:
                        text = text[:MAX_MATCH_LINE] + " …"
                    found.append(f"{rel}:{number}: {text.strip()}")
                    if len(found) >= room:
                        break
            return found
    except OSError:
        return None
