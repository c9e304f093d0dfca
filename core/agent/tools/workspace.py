"""The workspace sandbox: every path a tool touches is resolved here, inside the workspace.

A path argument is relative to the workspace. Absolute paths, drive or UNC paths, ``..``
that climbs out, and symbolic links (at any component, the last one included) that lead
outside are refused before anything is touched. For a path that does not exist yet, its
nearest existing parent decides. Tools then work on the *resolved* path, so a link cannot be
re-read between the check and the use by the tool itself.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from .base import ToolError


def workspace_root(workspace: Path) -> Path:
    """The workspace folder, fully resolved; a clear error when it is missing."""
    root = Path(os.path.realpath(workspace))
    if not root.is_dir():
        raise ToolError(f"the workspace folder {str(workspace)!r} does not exist")
    return root


def resolve(workspace: Path, path: str) -> Path:
    """The real path ``path`` names inside ``workspace``, or a ToolError saying why not."""
    root = workspace_root(workspace)
    text = path.strip() if isinstance(path, str) else ""
    if not text:
        text = "."
    if "\x00" in text:
        raise ToolError("the path contains a NUL character")
    if _is_absolute(text):
        raise ToolError(
            f"{path!r} is outside the workspace: use a path relative to the workspace folder"
        )
    candidate = root / text
    try:
        real = Path(os.path.realpath(candidate, strict=False))
    except (OSError, RuntimeError) as exc:
        raise ToolError(f"{path!r} cannot be resolved ({_reason(exc)})") from exc
    if not _inside(real, root):
        raise ToolError(f"{path!r} is outside the workspace")
    # realpath leaves a looping link as it is; any component still a link is a loop.
    for part in (real, *real.parents):
        if part == root:
            break
        if os.path.islink(part):
            raise ToolError(f"{path!r} goes through a symbolic link loop")
    return real


def relative(workspace: Path, real: Path) -> str:
    """How the model should name ``real``: relative to the workspace, with forward slashes."""
    root = workspace_root(workspace)
    try:
        rel = real.relative_to(root)
    except ValueError:
        return str(real)
    text = rel.as_posix()
    return text if text else "."


def is_inside(workspace_real: Path, path: Path) -> bool:
    """Whether ``path`` (following links) lands inside the resolved workspace."""
    try:
        real = Path(os.path.realpath(path, strict=False))
    except (OSError, RuntimeError):
        return False
    return _inside(real, workspace_real) and not os.path.islink(real)


def _inside(real: Path, root: Path) -> bool:
    return real == root or real.is_relative_to(root)


def _is_absolute(text: str) -> bool:
    if os.path.isabs(text) or PurePosixPath(text).is_absolute():
        return True
    if text.startswith(("\\", "/")):
        return True
    if os.name == "nt":
        windows = PureWindowsPath(text)
        return bool(windows.drive or windows.root)
    return False


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
