"""What every workspace tool shares: its context, its result, its error, and the safe runner.

A tool is an object with ``name``, ``description`` (written for the model), ``parameters``
(a JSON schema), ``read_only``, ``summary(args)`` (one line for an approval card) and
``run(args, ctx)``. Tools raise :class:`ToolError` for anything the model should read as a
failure; :func:`run_tool` turns that, bad arguments and unexpected exceptions into a
``ToolResult(ok=False, output="Error: ...")`` so the turn loop never sees a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.cancel import CancelToken

from .names import valid_text

log = logging.getLogger(__name__)


class ToolError(Exception):
    """A failure the model should read, in one clear sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ToolContext:
    """Where a tool runs and the limits it keeps."""

    workspace: Path
    cancel: CancelToken = field(default_factory=CancelToken)
    allow_private_network: bool = False
    # Hearth's own server (host, port) pairs: never fetchable, whatever else is allowed.
    blocked_addresses: frozenset[tuple[str, int]] = frozenset()
    # Hearth's own folders and files (data, config, logs, cache, the secrets file): no tool
    # opens, lists or searches them, whatever the workspace is.
    hidden: tuple[Path, ...] = ()
    output_cap: int = 30_000  # characters the model gets
    display_cap: int = 200_000  # characters the UI gets
    read_cap: int = 256 * 1024  # bytes read_file reads from one file per call
    search_file_cap: int = 1024 * 1024  # search_files skips bigger files
    max_matches: int = 200
    max_entries: int = 500
    command_timeout: float = 120.0
    max_command_timeout: float = 600.0
    fetch_max_bytes: int = 2_000_000
    fetch_timeout: float = 20.0
    max_redirects: int = 5


@dataclass
class ToolResult:
    ok: bool
    output: str  # what the model gets, capped
    display: str | None = None  # a longer version for the UI; None means the same as output


class Tool:
    """Base class for tools; subclasses set the class attributes and implement ``run``."""

    name: str = ""
    description: str = ""
    parameters: dict[str, Any] = {}
    read_only: bool = False

    def summary(self, args: Mapping[str, Any]) -> str:
        return f"Use {self.name}"

    def refusal(self, args: Mapping[str, Any], ctx: ToolContext) -> str | None:
        """Why this call cannot be done, found before the user is asked to approve it
        (nothing is asked for a call that would be refused anyway); None when it may go on."""
        return None

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<tool {self.name}>"


def truncation_note(shown: int, total: int, unit: str = "characters") -> str:
    return f"[output truncated: showed {shown:,} of {total:,} {unit}]"


def cap_text(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (at a line end when one is near), with a note."""
    if len(text) <= limit:
        return text
    room = max(limit - 80, 1)  # the note fits within the limit too
    cut = text.rfind("\n", 0, room)
    if cut < room * 0.8:
        cut = room
    return text[:cut].rstrip("\n") + "\n" + truncation_note(cut, len(text))


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def check_arguments(schema: Mapping[str, Any], args: Any) -> dict[str, Any]:
    """``args`` as a dict if it fits ``schema``'s required keys and basic types."""
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ToolError("the arguments must be a JSON object")
    properties: Mapping[str, Any] = schema.get("properties", {})
    missing = [key for key in schema.get("required", []) if key not in args]
    if missing:
        raise ToolError(f"missing required argument: {', '.join(missing)}")
    if schema.get("additionalProperties") is False:
        unknown = sorted(key for key in args if key not in properties)
        if unknown:
            expected = ", ".join(properties) or "none"
            raise ToolError(f"unknown argument: {', '.join(unknown)} (expected: {expected})")
    for key, value in args.items():
        expected_type = properties.get(key, {}).get("type")
        if expected_type not in _JSON_TYPES:
            continue
        wrong = not isinstance(value, _JSON_TYPES[expected_type])
        # bool is an int in Python, not in JSON.
        if isinstance(value, bool) and expected_type != "boolean":
            wrong = True
        if wrong:
            raise ToolError(
                f"argument {key!r} must be {_article(expected_type)} {expected_type}, "
                f"not {type(value).__name__}"
            )
    return args


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def run_tool(tool: Tool, args: Any, ctx: ToolContext) -> ToolResult:
    """Run ``tool`` safely: every failure becomes ``ToolResult(ok=False, output="Error: ...")``."""
    try:
        if ctx.cancel.is_set():
            raise ToolError("the run was cancelled before this tool started")
        checked = check_arguments(tool.parameters, args)
        result = tool.run(checked, ctx)
    except ToolError as exc:
        return ToolResult(ok=False, output=valid_text(f"Error: {exc.message}"))
    except Exception as exc:  # a bug or an OS surprise: a short message, never a traceback
        log.exception("tool %s failed", tool.name)
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        message = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        return ToolResult(
            ok=False, output=valid_text(f"Error: {tool.name} failed unexpectedly ({message})")
        )
    return _capped(_valid(result), ctx)


def _valid(result: ToolResult) -> ToolResult:
    """The last line of defence: an output that cannot be encoded would jam the event writer."""
    display = valid_text(result.display) if result.display is not None else None
    return ToolResult(ok=result.ok, output=valid_text(result.output), display=display)


def _capped(result: ToolResult, ctx: ToolContext) -> ToolResult:
    if len(result.output) <= ctx.output_cap:
        return result
    display = result.display if result.display is not None else result.output
    return ToolResult(
        ok=result.ok,
        output=cap_text(result.output, ctx.output_cap),
        display=cap_text(display, ctx.display_cap),
    )
