"""Hand things to the operating system: web links to the browser, folders to the file manager."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import webbrowser
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger("hearth.desktop")

LINK_SCHEMES = frozenset({"http", "https", "mailto"})


def open_link(url: str) -> bool:
    """Open ``url`` in the system browser (never in the window). Only http(s) and mailto."""
    if not isinstance(url, str) or urlsplit(url).scheme.lower() not in LINK_SCHEMES:
        log.warning("refused to open a link that is not http(s) or mailto: %.200r", url)
        return False
    log.info("opening a link in the system browser")
    return webbrowser.open(url)


def reveal(folder: Path) -> bool:
    """Show ``folder`` in the OS file manager (Explorer, Finder, or the desktop's own)."""
    folder = Path(folder)
    if not folder.is_dir():
        log.warning("cannot reveal %s: not a folder", folder)
        return False
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
        log.warning("cannot reveal %s: %s", folder, exc)
        return False
    return True
