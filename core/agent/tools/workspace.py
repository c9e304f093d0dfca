"""Hearth's own folders, as the workspace tools see them.

Tools never open, list or search Hearth's data, config, logs and cache folders nor the
secrets file, whatever the workspace is (the home folder, say, holds them all).
``hearth_private_paths`` names them for a ``ToolContext``; ``hearth_folders_inside`` tells
the UI which of them a chosen workspace contains, so it can say the agent cannot see them.
How paths are opened safely is ``opening.py``'s job.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol


class HearthPaths(Protocol):  # core.paths.Paths, without importing it here
    data: Path
    config: Path
    logs: Path
    cache: Path


def hearth_private_paths(paths: HearthPaths, secrets_file: Path | None = None) -> tuple[Path, ...]:
    """Hearth's folders and secret files that no tool may open, as real paths."""
    found = [paths.data, paths.config, paths.logs, paths.cache]
    if secrets_file is not None:
        found.append(Path(secrets_file))
    found.extend(_keyring_files())
    unique: dict[Path, None] = {}
    for path in found:
        unique.setdefault(Path(os.path.realpath(path)), None)
    return tuple(unique)


def hearth_folders_inside(workspace: Path, hidden: tuple[Path, ...] | list[Path]) -> list[Path]:
    """Which of ``hidden`` lie in ``workspace`` (or are it): the agent cannot see those."""
    root = Path(os.path.realpath(workspace))
    inside = []
    for path in hidden:
        real = Path(os.path.realpath(path))
        if real == root or real.is_relative_to(root):
            inside.append(real)
    return sorted(inside)


def _keyring_files() -> list[Path]:
    """The folders where keyring's file backends (keyrings.alt) keep passwords.

    Worked out as keyring does (its ``util.platform_.data_root``), without importing keyring,
    which costs 13 MB of memory."""
    import platformdirs

    found = [platformdirs.user_data_path("python_keyring", appauthor=False, roaming=False)]
    if os.name == "nt":
        found.append(platformdirs.user_data_path("Python Keyring", appauthor=False))
    return found
