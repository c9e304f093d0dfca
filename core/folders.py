"""Folder paths a person typed: ``~`` expanded, and looked at without ever failing on a path
the system cannot look up (a name too long, a loop of links) with anything but a sentence."""

from __future__ import annotations

import stat
from pathlib import Path

from core.errors import InvalidInput


def expand(text: str) -> Path:
    """``text`` with ``~`` expanded; as written when there is no such home (``~nobody``)."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        return Path(text)


def full_path(text: str) -> Path:
    """``text`` as an absolute path (``~`` expanded); InvalidInput in words when it is not one."""
    folder = expand(text)
    if "\x00" in text or not folder.is_absolute():
        raise InvalidInput(f"{text!r} is not a full path to a folder; give its whole path.")
    return folder


def kind_of(path: Path) -> str:
    """ "folder", "file" (anything else that exists) or "missing"; InvalidInput for a path the
    system cannot look up at all."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    except (OSError, ValueError) as exc:
        why = getattr(exc, "strerror", None) or "it cannot be looked up"
        raise InvalidInput(f"That path cannot be used as a folder ({why.lower()}).") from None
    return "folder" if stat.S_ISDIR(mode) else "file"


def existing_folder(text: str) -> Path:
    """``text`` as the absolute path of a folder that exists; InvalidInput in words if not."""
    folder = full_path(text)
    kind = kind_of(folder)
    if kind != "folder":
        what = "a file, not a folder" if kind == "file" else "not there"
        raise InvalidInput(f"{folder} is {what}. Choose a folder that exists.")
    return folder


def is_folder(path: Path) -> bool:
    try:
        return kind_of(path) == "folder"
    except InvalidInput:
        return False
