"""A virtual screen for the window tests and the desktop benchmark."""

from __future__ import annotations

import os
import subprocess


def start_xvfb() -> tuple[subprocess.Popen, str]:
    """Xvfb on a free display number; returns it and the display (":" if it failed)."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:  # Xvfb writes its number once it accepts connections
        return xvfb, ":" + pipe.readline().strip()
