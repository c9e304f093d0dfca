"""The pywebview window: thin on purpose. Everything it shows comes from the server over HTTP.

What lives here is what only a window can do: remembering its size and place, opening links
in the system browser, revealing folders, asking before it closes on a live run, a menu and
shortcuts, and telling the log when the sessions list is on screen.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from core.errors import Conflict, InvalidInput
from core.paths import Paths, make_private_dir
from desktop import dialogs, osopen

log = logging.getLogger("hearth.desktop")

TITLE = "Hearth"
DEFAULT_SIZE = (1100, 760)
MIN_SIZE = (480, 360)
GEOMETRY_FILE = "window.json"
ICON = Path(__file__).resolve().parent / "assets" / "hearth-256.png"

# Run in the page after each load with pywebview's public ``run_js``: it marks the page as the
# window's, and desktop.js (the page's side) does the rest. The page asks the window for things
# over HTTP (POST /api/desktop/<action>, see ``HearthWindow.actions``); the window tells the
# page things only by dispatching events on it, like this one and ``hearth:command``.
PAGE_SCRIPT = """
document.documentElement.dataset.desktop = '1';
window.dispatchEvent(new CustomEvent('hearth:desktop-ready'));
"""


_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_API_PATH = re.compile(r"/api/[A-Za-z0-9_./%-]{0,200}")
MAX_OPENED = 64 * 1024 * 1024  # bytes of an attachment handed to a viewer

# The menu's page commands and the keys it shows for them: the keys are the page's own
# (shortcuts.js; a browser tab cannot have Ctrl+N, which opens a browser window).
MENU_COMMANDS = (
    ("New chat", "Ctrl+Shift+O", "new-chat"),
    ("Search", "Ctrl+K", "search"),
)


class HearthWindow:
    """One Hearth window over the server at ``url``."""

    def __init__(self, paths: Paths, url: str, token: str, started_at: float) -> None:
        self.paths = paths
        self.url = url
        self._token = token
        self._started_at = started_at
        self._quitting = False
        self._asking = False
        self._lock = threading.Lock()
        self._picking = threading.Lock()
        self.window = None
        self.ready = threading.Event()

    # -- opening -----------------------------------------------------------------------
    def create(self) -> None:
        import webview
        from webview.menu import Menu, MenuAction, MenuSeparator

        geometry = load_geometry(self.paths.config / GEOMETRY_FILE)
        self.window = webview.create_window(
            TITLE,
            # The sign-in link sets an HttpOnly cookie and redirects to a clean "/": the
            # token never stays in the page's address, history or anything one can copy.
            url=f"{self.url}/?token={self._token}",
            # No js_api: pywebview would build its functions with `new Function`, which the
            # app's CSP refuses (an EvalError at every load). The page asks over HTTP instead.
            width=geometry["width"],
            height=geometry["height"],
            x=geometry.get("x"),
            y=geometry.get("y"),
            min_size=MIN_SIZE,
            maximized=bool(geometry.get("maximized")),
            text_select=True,
            menu=[
                Menu(
                    "Hearth",
                    [
                        *(
                            MenuAction(f"{label}\t{keys}", lambda c=command: self.command(c))
                            for label, keys, command in MENU_COMMANDS
                        ),
                        MenuSeparator(),
                        MenuAction("Open data folder", lambda: osopen.reveal(self.paths.data)),
                        MenuAction("Open logs", lambda: osopen.reveal(self.paths.logs)),
                        MenuSeparator(),
                        MenuAction("Quit\tCtrl+Q", self.close),
                    ],
                )
            ],
        )
        self.window.events.loaded += self._on_loaded
        self.window.events.closing += self._on_closing

    def run(self) -> None:
        """Show the window; return once it has closed."""
        import webview

        webview.settings["OPEN_EXTERNAL_LINKS_IN_BROWSER"] = True
        webview.settings["ALLOW_DOWNLOADS"] = True  # "export session" saves a file
        gui = "qt" if sys.platform.startswith("linux") else None
        webview.start(
            gui=gui,
            icon=str(ICON) if ICON.exists() else None,
            private_mode=True,
            localization={"linux.openFolder": dialogs.PICK_FOLDER_TITLE},
        )

    # -- what the page may ask (POST /api/desktop/<action>) -------------------------------
    def actions(self) -> dict[str, Callable[[dict], dict | None]]:
        """The window's actions for the server (``serve(desktop=...)``): each takes the
        request's JSON object and returns the answer's."""
        return {
            "open_link": lambda body: {"opened": osopen.open_link(_text(body, "url"))},
            "open_data_folder": lambda body: {"opened": osopen.reveal(self.paths.data)},
            "open_logs": lambda body: {"opened": osopen.reveal(self.paths.logs)},
            "open_attachment": lambda body: {"opened": self.open_attachment(_text(body, "id"))},
            "pick_folder": self._pick_folder,
            "quit": lambda body: self.close(),
            "ui_ready": self._ui_ready,
        }

    def _pick_folder(self, body: dict) -> dict:
        start = body.get("start")
        if start is not None and not isinstance(start, str):
            raise InvalidInput("start must be a folder's path.")
        if self.window is None or not self._picking.acquire(blocking=False):
            raise Conflict("A folder picker is already open.")
        try:
            return {"path": dialogs.pick_folder(self.window, start)}
        finally:
            self._picking.release()

    def _ui_ready(self, body: dict) -> None:
        calls = body.get("api_calls")
        calls = (
            [c for c in calls if isinstance(c, str) and _API_PATH.fullmatch(c)]
            if isinstance(calls, list)
            else []
        )
        self.note_ui_ready({"api_calls": calls[:20], "waited": body.get("waited") is True})

    # -- while open --------------------------------------------------------------------
    def _on_loaded(self) -> None:
        try:
            self.window.run_js(PAGE_SCRIPT)
        except Exception:  # a page that failed to load: nothing to improve on it
            log.exception("could not prepare the page")

    def open_attachment(self, attachment_id: str) -> bool:
        """Open an attachment of a kind a viewer only shows in the system's viewer: fetched
        from this window's server, written to the cache under the suffix of the kind the
        server judged from its bytes, then handed to the OS."""
        if not isinstance(attachment_id, str) or not _ID.fullmatch(attachment_id):
            return False
        request = urllib.request.Request(
            f"{self.url}/api/attachments/{attachment_id}",
            headers={"Authorization": f"Bearer {self._token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as answer:
                kind = answer.headers.get_content_type()
                name = answer.headers.get_filename() or "attachment"
                data = answer.read(MAX_OPENED + 1)
        except OSError as exc:
            log.warning("cannot fetch attachment %s to open it: %s", attachment_id, exc)
            return False
        suffix = osopen.VIEWER_SUFFIXES.get(kind)
        if suffix is None or len(data) > MAX_OPENED:
            log.warning("attachment %s (%s) is not opened in a viewer", attachment_id, kind)
            return False
        folder = self.paths.cache / "opened" / attachment_id
        make_private_dir(folder)
        stem = re.sub(r"[^\w .-]+", "_", Path(name).stem).strip(" .")[:80] or "attachment"
        path = folder / f"{stem}{suffix}"
        path.write_bytes(data)
        return osopen.open_document(path)

    def note_ui_ready(self, info: dict) -> None:
        if self.ready.is_set():
            return
        elapsed = time.time() - self._started_at
        calls = ", ".join(info.get("api_calls", [])[:6]) or "none"
        if info.get("waited"):
            log.warning("ui shown, no sessions list after %.2f s (API calls: %s)", elapsed, calls)
        else:
            log.info(
                "ui ready: sessions list on screen %.2f s after launch (API calls: %s)",
                elapsed,
                calls,
            )
        self.ready.set()

    def command(self, name: str) -> None:
        """A menu command the page handles, as a ``hearth:command`` event."""
        if self.window is not None:
            detail = json.dumps({"command": name})
            self.window.run_js(
                f"window.dispatchEvent(new CustomEvent('hearth:command', {{detail: {detail}}}))"
            )

    def bring_to_front(self) -> None:
        window = self.window
        if window is None:
            return
        window.restore()
        window.show()
        native = getattr(window, "native", None)
        if native is not None and hasattr(native, "raise_"):  # Qt: raise and focus it
            try:
                from qtpy.QtCore import QMetaObject, Qt

                for method in ("show", "raise", "setFocus"):
                    QMetaObject.invokeMethod(native, method, Qt.QueuedConnection)
            except Exception:
                log.exception("could not raise the window")
        else:  # other backends: a brief stay-on-top brings it forward
            window.on_top = True
            window.on_top = False

    # -- closing -----------------------------------------------------------------------
    def close(self) -> None:
        """Close as the user asked: asks first if an answer is still being written."""
        if self.window is not None:
            self.window.destroy()

    def quit_now(self) -> None:
        """Close without asking (the OS asked us to stop): live runs end as interrupted."""
        self._quitting = True
        self.close()

    def _on_closing(self) -> bool | None:
        if self._quitting:
            self._save_geometry()
            return None
        live = self.live_runs()
        if not live:
            self._quitting = True
            self._save_geometry()
            return None
        with self._lock:
            if not self._asking:
                self._asking = True
                threading.Thread(target=self._ask, args=(len(live),), daemon=True).start()
        return False  # cancels this close; _ask closes again if the user says so

    def _ask(self, count: int) -> None:
        answers = "An answer is" if count == 1 else f"{count} answers are"
        sure = False
        try:
            sure = dialogs.ask_to_quit(
                self.window,
                "Quit Hearth?",
                f"{answers} still being written.",
                "If you quit, what was written so far is kept, marked as interrupted, and you"
                " can continue it later.",
            )
        finally:
            with self._lock:
                self._asking = False
        log.info("quit while %d run(s) live: %s", count, "confirmed" if sure else "cancelled")
        if sure:
            self.quit_now()

    def live_runs(self) -> list[str]:
        request = urllib.request.Request(
            f"{self.url}/api/desktop/state", headers={"Authorization": f"Bearer {self._token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return list(json.load(response).get("live_runs", []))
        except (OSError, ValueError) as exc:
            log.warning("could not ask the server about live runs: %s", exc)
            return []

    def _save_geometry(self) -> None:
        window = self.window
        try:
            geometry = {"width": window.width, "height": window.height}
            geometry.update(x=window.x, y=window.y)
            native = getattr(window, "native", None)
            if native is not None and hasattr(native, "isMaximized"):
                geometry["maximized"] = bool(native.isMaximized())
            save_geometry(self.paths.config / GEOMETRY_FILE, geometry)
        except Exception:
            log.exception("could not save the window's size and place")


def _text(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text.")
    return value


def load_geometry(path: Path) -> dict:
    """Last size and place, or the defaults. A damaged or absurd file is ignored."""
    geometry: dict = {"width": DEFAULT_SIZE[0], "height": DEFAULT_SIZE[1]}
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return geometry
    if not isinstance(saved, dict):
        return geometry
    width, height = saved.get("width"), saved.get("height")
    if _int_in(width, MIN_SIZE[0], 10000) and _int_in(height, MIN_SIZE[1], 10000):
        geometry.update(width=width, height=height)
    x, y = saved.get("x"), saved.get("y")
    if _int_in(x, -width_margin(geometry), 20000) and _int_in(y, 0, 20000):
        geometry.update(x=x, y=y)
    if saved.get("maximized") is True:
        geometry["maximized"] = True
    return geometry


def width_margin(geometry: dict) -> int:
    return geometry["width"] // 2  # allow a window half off the left edge, not lost entirely


def _int_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def save_geometry(path: Path, geometry: dict) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps(geometry), encoding="utf-8")
    temp.replace(path)
