"""Before the window: is there a screen, and a GUI toolkit to draw on it?

Each check returns one sentence naming what is missing, or None. ``hearth`` prints it with
a pointer to ``hearth serve`` and exits non-zero, instead of a Qt abort or a traceback.
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import sys
from pathlib import Path

SERVE_HINT = "Run `hearth serve` to use Hearth in a browser instead."


def problem(env: dict[str, str] | None = None) -> str | None:
    """What stops the window from opening here, or None if nothing we can see does."""
    env = os.environ if env is None else env
    return _display_problem(env) or _backend_problem(env)


def _display_problem(env: dict[str, str]) -> str | None:
    if not sys.platform.startswith("linux") and not sys.platform.startswith("freebsd"):
        return None  # Windows and macOS always have a screen for a logged-in user
    platform = env.get("QT_QPA_PLATFORM", "").split(":")[0]
    if platform in ("offscreen", "minimal", "vnc", "eglfs", "linuxfb"):
        return None
    display = env.get("DISPLAY", "")
    wayland = env.get("WAYLAND_DISPLAY", "")
    if not display and not wayland:
        return (
            "no display found (DISPLAY and WAYLAND_DISPLAY are not set),"
            " so Hearth cannot open its window."
        )
    if display and not wayland and not _x_display_reachable(display):
        return f"the display {display} cannot be reached (no X server answers there)."
    return None


def _x_display_reachable(display: str) -> bool:
    """True unless ``display`` is a local ":N" whose socket is plainly absent."""
    host, _, rest = display.rpartition(":")
    if host not in ("", "unix"):
        return True  # a remote or TCP display: let Qt try
    number = rest.split(".")[0]
    if not number.isdigit():
        return True
    socket = Path("/tmp/.X11-unix") / f"X{number}"
    if socket.exists():
        return True
    # Linux abstract sockets leave no file; Xvfb and Xorg also make the file, so this is rare.
    try:
        import socket as sock

        with sock.socket(sock.AF_UNIX, sock.SOCK_STREAM) as s:
            s.settimeout(0.5)
            s.connect(f"\0/tmp/.X11-unix/X{number}")
        return True
    except OSError:
        return False


def _backend_problem(env: dict[str, str]) -> str | None:
    if importlib.util.find_spec("webview") is None:
        return "the window toolkit pywebview is not installed (pip install 'pywebview[pyside6]')."
    if sys.platform.startswith("linux"):
        if not _has_module("PySide6"):
            return "Qt for Python (PySide6) is not installed (pip install 'pywebview[pyside6]')."
        if not _has_module("PySide6.QtWebEngineWidgets"):
            return (
                "Qt WebEngine (PySide6's QtWebEngineWidgets) is not installed"
                " (pip install 'pywebview[pyside6]')."
            )
        wayland_only = env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY")
        platform = env.get("QT_QPA_PLATFORM", "")
        if not wayland_only and platform in ("", "xcb") and not _has_library("xcb-cursor"):
            return (
                "Qt's X11 support needs the system library libxcb-cursor0, which is not"
                " installed (apt install libxcb-cursor0)."
            )
    return None


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _has_library(name: str) -> bool:
    bundled = getattr(sys, "_MEIPASS", None)  # a PyInstaller bundle may carry its own copy
    if bundled and any(Path(bundled).glob(f"lib{name}.so*")):
        return True
    return ctypes.util.find_library(name) is not None
