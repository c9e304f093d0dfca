"""The sentence a session or the settings carry when a workspace holds Hearth's own folders."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from core.agent.tools.workspace import hearth_folders_inside, hearth_private_paths


def workspace_notice(settings: Any, folder: str | Path | None) -> str | None:
    """None, or why the agent will not see part of ``folder`` (the default one if None)."""
    if settings is None:
        return None
    try:
        workspace = Path(folder).expanduser() if folder else settings.workspace_for({}, False)
    except Exception:  # a missing default folder has nothing inside it
        return None
    hidden = hearth_private_paths(settings.paths, getattr(settings.secrets, "file", None))
    real = Path(os.path.realpath(workspace))
    if real in hidden:
        return (
            f"{workspace} is one of Hearth's own folders, which the agent's tools refuse. "
            "Choose another folder as the workspace."
        )
    inside = hearth_folders_inside(workspace, hidden)
    if not inside:
        return None
    names = ", ".join(str(p) for p in inside)
    return (
        f"This workspace holds Hearth's own data ({names}). The agent cannot see or change "
        "those folders; everything else in the workspace is open to it."
    )


def with_notice(settings: Any, session: dict[str, Any]) -> dict[str, Any]:
    """``session`` with ``workspace_notice`` (null when there is nothing to say)."""
    folder = None if session.get("import_review") else session.get("workspace")
    notice = None if session.get("import_review") else workspace_notice(settings, folder)
    return {**session, "workspace_notice": notice}
