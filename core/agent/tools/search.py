"""search_files: grep the workspace's text files with an RE2 regular expression.

RE2 matches in time linear in the text, whatever the pattern, so a pattern such as
``(a+)+$`` cannot hold a run (or, through the GIL, the whole server) the way Python's ``re``
can. Files are walked race-free through opened folders, links are not followed, Hearth's
own folders and anything that is not a regular file are skipped, and a cancel stops the
search between files and every few hundred lines.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import time
from collections.abc import Iterator, Mapping
from typing import Any

import re2

from .base import Tool, ToolContext, ToolError, ToolResult
from .names import shown_name
from .opening import NONBLOCK, Folder, Workspace, shown_path
from .textfile import SNIFF_BYTES, iter_lines, looks_binary

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
MAX_PATTERN = 4000  # characters
TIME_LIMIT = 30.0  # seconds one search may take in all
CANCEL_EVERY = 256  # lines between looks at the cancel token
UNSUPPORTED_HINT = (
    " (this search uses RE2 syntax: backreferences such as \\1 and lookaround such as "
    "(?=...), (?!...), (?<=...) are not supported)"
)


class SearchFiles(Tool):
    name = "search_files"
    read_only = True
    description = (
        "Search the text files of the workspace for a regular expression (RE2 syntax, like "
        "Python's re without backreferences or lookaround), line by line. "
        "Returns 'relative/path:line: text' for each matching line, at most 200 matches. "
        "Narrow it with path (a sub-folder or one file) and glob (a file name pattern such as "
        "'*.py', or 'src/**/*.ts' to match the relative path). Skips binary files, files over "
        "1 MB, symbolic links, and the folders .git, node_modules, .venv, venv, __pycache__ and "
        "tool caches (unless path points inside one). Matching is case-sensitive; use (?i) to "
        "ignore case."
    )
    parameters = {
        "type": "object",
        "properties": {
            "pattern": {
                "type": "string",
                "description": "Regular expression (RE2: no backreferences, no lookaround).",
            },
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
        regex = compile_pattern(args["pattern"])
        search = _Search(regex, args.get("glob") or None, ctx)
        with Workspace(ctx) as ws:
            search.run(ws, args.get("path") or ".")
        return search.result()


def compile_pattern(pattern: str) -> Any:
    """The RE2 program for ``pattern``, or a ToolError saying why it cannot be one."""
    shown = shown_name(pattern)
    if len(pattern) > MAX_PATTERN:
        raise ToolError(f"the pattern is longer than {MAX_PATTERN:,} characters")
    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else ""
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        hint = UNSUPPORTED_HINT if _unsupported(str(detail), pattern) else ""
        raise ToolError(f"invalid regular expression {shown!r}: {detail}{hint}") from exc
    except (TypeError, ValueError, UnicodeError) as exc:
        raise ToolError(f"invalid regular expression {shown!r}: {exc}") from exc


def _unsupported(detail: str, pattern: str) -> bool:
    return (
        "invalid escape sequence: \\" in detail
        and any(f"\\{digit}" in pattern for digit in "123456789")
    ) or any(op in pattern for op in ("(?=", "(?!", "(?<=", "(?<!"))


class _Search:
    def __init__(self, regex: Any, glob: str | None, ctx: ToolContext) -> None:
        self.regex = regex
        self.glob = glob
        self.ctx = ctx
        self.matches: list[str] = []
        self.skipped = self.files = 0
        self.stopped = self.timed_out = False
        self.deadline = time.monotonic() + TIME_LIMIT

    def run(self, ws: Workspace, shown: str) -> None:
        spot = ws.locate(shown)
        try:
            if spot.name is not None and spot.info is None:
                raise ToolError(f"{shown_name(shown)!r} does not exist")
            is_folder = spot.name is None or stat.S_ISDIR(spot.info.st_mode)  # type: ignore[union-attr]
            if not is_folder:
                assert spot.name is not None
                self.search_file(spot.folder, spot.name, spot.parts, ws, single=True)
                return
        finally:
            spot.close()
        folder, parts = ws.open_folder(shown)
        try:
            for owner, name, file_parts in self.walk(ws, folder, parts):
                if self.search_file(owner, name, file_parts, ws):
                    break
        finally:
            if folder is not ws.root:
                folder.close()

    def walk(
        self, ws: Workspace, folder: Folder, parts: tuple[str, ...]
    ) -> Iterator[tuple[Folder, str, tuple[str, ...]]]:
        self.check_cancel()
        try:
            entries = sorted(folder.entries(), key=lambda entry: entry.name)
        except OSError:
            return
        folders = []
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if ws.is_hidden((*parts, entry.name), info):
                continue
            if stat.S_ISDIR(info.st_mode):
                if entry.name not in SKIPPED_DIRS:
                    folders.append(entry.name)
            elif stat.S_ISREG(info.st_mode):
                yield folder, entry.name, (*parts, entry.name)
        for name in folders:
            try:
                child = folder.child(name)
            except OSError:
                continue  # replaced by a link or removed meanwhile
            try:
                if not ws.is_hidden((*parts, name), child.fstat()):
                    yield from self.walk(ws, child, (*parts, name))
            finally:
                child.close()

    def check_cancel(self) -> None:
        if self.ctx.cancel.is_set():
            raise ToolError("the search was cancelled")
        if time.monotonic() > self.deadline:
            self.timed_out = True

    def search_file(
        self, folder: Folder, name: str, parts: tuple[str, ...], ws: Workspace, single=False
    ) -> bool:
        """Search one file; True when the search should stop (cap or time limit)."""
        self.check_cancel()
        if self.timed_out:
            return True
        rel = shown_path(parts)
        if not single and self.glob and not _glob_matches(self.glob, rel):
            return False
        try:
            fd = folder.open(name, os.O_RDONLY | NONBLOCK)
        except OSError:
            self.skipped += 1
            return False
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(fd)
            if ws.is_hidden(parts, info):
                return False
            if not stat.S_ISREG(info.st_mode):
                if single:
                    raise ToolError(f"{rel!r} is not a regular file; tools do not open it")
                return False
            if info.st_size > self.ctx.search_file_cap or looks_binary(handle.read(SNIFF_BYTES)):
                self.skipped += 1
                return False
            handle.seek(0)
            self.files += 1
            room = self.ctx.max_matches - len(self.matches)
            for number, (text, _) in enumerate(iter_lines(handle), start=1):
                if number % CANCEL_EVERY == 0:
                    self.check_cancel()
                    if self.timed_out:
                        return True
                if self.regex.search(text):
                    if len(text) > MAX_MATCH_LINE:
                        text = text[:MAX_MATCH_LINE] + " …"
                    self.matches.append(f"{rel}:{number}: {text.strip()}")
                    room -= 1
                    if room <= 0:
                        self.stopped = True
                        return True
        return False

    def result(self) -> ToolResult:
        matches = self.matches
        skipped = self.skipped
        if self.stopped:
            matches.append(
                f"[stopped at {self.ctx.max_matches} matches; narrow the pattern, path or glob]"
            )
        elif self.timed_out:
            matches.append(
                f"[search stopped after {TIME_LIMIT:g} s; narrow the pattern, path or glob]"
            )
        elif not matches:
            note = f" ({skipped} binary or large files skipped)" if skipped else ""
            return ToolResult(ok=True, output=f"No matches in {self.files} files searched{note}.")
        elif skipped:
            matches.append(f"[{skipped} binary or large files skipped]")
        return ToolResult(ok=True, output="\n".join(matches))


def _glob_matches(glob: str, rel: str) -> bool:
    if "/" in glob:
        return fnmatch.fnmatchcase(rel, glob) or fnmatch.fnmatchcase(rel, glob.replace("**/", ""))
    return fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], glob)
