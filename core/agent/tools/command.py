"""run_command: a shell command in the workspace, killed whole on timeout or cancel."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .base import Tool, ToolContext, ToolError, ToolResult
from .opening import Workspace
from .process import run_in_group

# Hearth's own secrets (API token, provider key) stay out of the command's environment.
HIDDEN_ENV_PREFIXES = ("HEARTH_",)
QUIET_ENV = {"PAGER": "cat", "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0"}


class RunCommand(Tool):
    name = "run_command"
    read_only = False
    description = (
        "Run a shell command (sh on macOS/Linux, cmd on Windows) with the workspace as the "
        "current folder. stdin is closed, so interactive prompts fail instead of waiting. "
        "stdout and stderr come back together, with the exit code; long output keeps its "
        "beginning and end. timeout is in seconds (default 120, at most 600); on timeout the "
        "command and everything it started are killed. Background processes still running when "
        "the command ends are stopped too, so do not start servers meant to keep running."
    )
    parameters = {
        "type": "object",
        "properties": {
            "command": {"type": "string", "description": "The shell command line to run."},
            "timeout": {
                "type": "integer",
                "description": "Seconds before the command is killed; default 120, max 600.",
            },
        },
        "required": ["command"],
        "additionalProperties": False,
    }

    def summary(self, args: Mapping[str, Any]) -> str:
        command = str(args.get("command", "")).strip()
        if len(command) > 200:
            command = command[:200] + "…"
        return f"Run `{command}` in the workspace"

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        command = args["command"]
        if not command.strip():
            raise ToolError("command is empty")
        timeout = args.get("timeout")
        if timeout is None:
            timeout = ctx.command_timeout
        if timeout <= 0:
            raise ToolError("timeout must be a positive number of seconds")
        timeout = min(float(timeout), ctx.max_command_timeout)
        with Workspace(ctx) as ws:  # refuses a missing workspace or one of Hearth's folders
            root = ws.path
        try:
            done = run_in_group(
                command,
                root,
                timeout,
                ctx.cancel,
                keep_bytes=ctx.display_cap // 2,
                env=command_environment(),
            )
        except OSError as exc:
            raise ToolError(f"the command could not be started: {exc.strerror or exc}") from exc
        if done.cancelled:
            status = "[cancelled by the user; the command and its processes were killed]"
        elif done.timed_out:
            status = f"[timed out after {timeout:g} s; the command and its processes were killed]"
        else:
            status = f"[exit code {done.exit_code}]"
            if done.leftovers_killed:
                status += " [background processes it left running were stopped]"
        if done.total_bytes > done.kept_bytes:
            status += f" [the command printed {done.total_bytes:,} bytes in all]"
        body = done.output.rstrip("\n")
        output = _head_and_tail(body, ctx.output_cap - len(status) - 200)
        ok = done.exit_code == 0
        display = f"{_head_and_tail(body, ctx.display_cap - 200)}\n{status}" if body else status
        return ToolResult(
            ok=ok,
            output=f"{output}\n{status}" if output else status,
            display=display,
        )


def command_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(HIDDEN_ENV_PREFIXES)}
    env.update(QUIET_ENV)
    return env


def _head_and_tail(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters: a third from the start, the rest from the end."""
    if len(text) <= limit:
        return text
    head = limit // 3
    tail = limit - head
    dropped = len(text) - head - tail
    return (
        f"{text[:head]}\n[output truncated: showed {head + tail:,} of {len(text):,} "
        f"characters; {dropped:,} from the middle left out]\n{text[-tail:]}"
    )
