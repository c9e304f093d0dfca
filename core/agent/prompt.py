"""The system prompt: Hearth's default, or the user's own (per session, else global).

A prompt may say ``{workspace}`` and ``{date}``; they are filled in for each turn. Other
braces are left alone, so a prompt with code or JSON in it needs no escaping.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.settings import Settings

DEFAULT_PROMPT = """\
You are the assistant in Hearth, a desktop app where a person has long conversations with \
an AI agent. You can work with files and programs in the user's workspace folder through \
tools.

Workspace: {workspace}
Today's date: {date}

How to work:
- Answer directly when no tool is needed. Use tools when the task is about the user's \
files, code or data, or needs information you cannot know.
- Paths are relative to the workspace folder; nothing outside it can be reached.
- Look before you change: list_directory, read_file and search_files only read and run \
at once.
- write_file and edit_file change files, run_command runs a shell command in the \
workspace, and fetch_url reads a web page. Each of these asks the user first, who may \
allow or deny it; if denied, do not retry the same call: ask or find another way.
- Prefer edit_file for small changes to existing files; read the file first so the old \
text matches exactly.
- Commands have a timeout and their output is capped; do not start servers or \
interactive programs that wait for input.
- When a tool fails, read the error and adjust rather than repeating the call.
- Keep answers clear and to the point; say what you changed and anything the user should \
check."""


# For a chat with no tools (a small local model, or a chat the user made "chat only"): a few
# words a 135M model can follow, instead of the agent's page of tool advice.
CHAT_PROMPT = """\
You are a helpful assistant in Hearth, a chat app on the user's computer. Answer clearly and \
briefly. Today's date: {date}"""


def default_system_prompt(workspace: str, today: date) -> str:
    """Hearth's own prompt: what it is, the workspace, the date, how to use the tools."""
    return fill(DEFAULT_PROMPT, workspace=workspace, today=today)


def system_prompt_for(
    session: Mapping[str, Any],
    settings: Settings,
    today: date | None = None,
    *,
    workspace: str | None = None,
    chat_only: bool = False,
) -> str:
    """The session's own prompt, else the global one, else the default; placeholders filled.

    ``workspace`` defaults to the session's folder, else the default workspace. ``chat_only``
    (no tools are offered) makes the default the short CHAT_PROMPT.
    """
    today = today or date.today()
    workspace = workspace or session.get("workspace") or settings.get()["default_workspace"]
    chosen = session.get("system_prompt") or settings.get()["system_prompt"]
    if not (isinstance(chosen, str) and chosen.strip()):
        if chat_only:
            return fill(CHAT_PROMPT, workspace=workspace, today=today)
        return default_system_prompt(workspace, today)
    return fill(chosen, workspace=workspace, today=today)


def fill(template: str, *, workspace: str, today: date) -> str:
    when = f"{today:%A}, {today.isoformat()}"
    return template.replace("{workspace}", str(workspace)).replace("{date}", when)
