"""Hand things to the operating system: web links to the browser, folders to the file manager."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import webbrowser
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger("hearth.desktop")

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
MAX_LINK = 8192
# A link the page hands over is already encoded (URL.href): white space or a control
# character means it was made up, and a NUL would fail the browser's launch.
_NOT_IN_A_LINK = re.compile(r"[\x00-\x20\x7f]")


def open_link(url: str) -> bool:
    """Open ``url`` in the system browser (never in the window). Only http(s) and mailto."""
    if (
        not isinstance(url, str)
        or len(url) > MAX_LINK
        or _NOT_IN_A_LINK.search(url)
        or urlsplit(url).scheme.lower() not in LINK_SCHEMES
    ):
        log.warning("refused to open a link that is not a plain http(s) or mailto URL: %.200r", url)
        return False
    log.info("opening a link in the system browser")
    return webbrowser.open(url)


# What Hearth hands to the system's viewer: kinds a viewer shows and never runs, each with
# the suffix the written file gets (so the OS picks the viewer by the kind Hearth judged from
# the bytes, not by the name the file came with).
VIEWER_SUFFIXES = {
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/csv": ".csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}


def open_document(path: Path) -> bool:
    """Open the file ``path`` in the system's viewer, if its suffix is one of VIEWER_SUFFIXES."""
    path = Path(path)
    if path.suffix.lower() not in set(VIEWER_SUFFIXES.values()) or not path.is_file():
        log.warning("refused to open %s: not a document Hearth hands to a viewer", path.name)
        return False
    return _hand_over(path)


def reveal(folder: Path) -> bool:
    """Show ``folder`` in the OS file manager (Explorer, Finder, or the desktop's own)."""
    folder = Path(folder)
    if not folder.is_dir():
        log.warning("cannot reveal %s: not a folder", folder)
        return False
    return _hand_over(folder)


def _hand_over(target: Path) -> bool:
    """Let the OS open ``target`` with what it uses for its kind."""
    folder = target
    try:
        if sys.platform == "win32":
            os.startfile(folder)  # type: ignore[attr-defined]
        else:
            opener = "open" if sys.platform == "darwin" else "xdg-open"
            command = [opener, str(folder)]
            subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
    except OSError as exc:
        log.warning("cannot open %s: %s", folder, exc)
        return False
    return True
