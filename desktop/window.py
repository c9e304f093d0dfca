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
from pathlib import Path

from core.paths import Paths, make_private_dir
from desktop import osopen

log = logging.getLogger("hearth.desktop")

TITLE = "Hearth"
DEFAULT_SIZE = (1100, 760)
MIN_SIZE = (480, 360)
GEOMETRY_FILE = "window.json"
ICON = Path(__file__).resolve().parent / "assets" / "hearth-256.png"

# Run in the page after each load (runJavaScript is not bound by the page's CSP). Links that
# leave the app go to the system browser; the page asks the window for things with
# "hearth:desktop" events and hears menu commands as "hearth:command" events; once the UI has
# fetched the sessions list and painted, the window is told it is ready.
PAGE_SCRIPT = r"""
(function () {
  if (window.__hearthDesktop) return;
  window.__hearthDesktop = true;
  document.documentElement.dataset.desktop = '1';
  // The app's CSP forbids eval, so pywebview's generated window.pywebview.api functions
  // cannot exist (and on Qt its set-up stops before the web channel). Its bridge call
  // underneath them needs no eval: finish the set-up here and call that.
  var waiting = [];
  function bridged(run) {
    var bridge = window.pywebview;
    var qtReady = bridge && (bridge.platform !== 'qtwebengine' || bridge._QWebChannel);
    if (qtReady) return run(bridge);
    waiting.push(run);
    if (waiting.length > 1) return;
    (function connect(tries) {
      var bridge = window.pywebview;
      function flush() { waiting.splice(0).forEach(function (f) { f(bridge); }); }
      if (bridge && (bridge.platform !== 'qtwebengine' || bridge._QWebChannel)) return flush();
      if (bridge && typeof QWebChannel === 'function' && window.qt && qt.webChannelTransport) {
        new QWebChannel(qt.webChannelTransport, function (channel) {
          bridge._QWebChannel = channel;
          flush();
        });
      } else if (tries < 200) {
        setTimeout(function () { connect(tries + 1); }, 50);
      }
    })(0);
  }
  function call(name, args) {
    bridged(function (bridge) {
      bridge._jsApiCallback(name, args || [], 'hearth' + String(Math.random()).slice(2));
    });
  }
  function outside(href) {
    try { return new URL(href, location.href).origin !== location.origin; }
    catch (e) { return false; }
  }
  document.addEventListener('click', function (event) {
    var link = event.target && event.target.closest && event.target.closest('a[href]');
    if (!link || !outside(link.href)) return;
    event.preventDefault();
    event.stopPropagation();
    call('open_link', [link.href]);
  }, true);
  var windowOpen = window.open;
  window.open = function (url) {
    if (url && outside(url)) { call('open_link', [new URL(url, location.href).href]); return null; }
    return windowOpen.apply(window, arguments);
  };
  // What the page asks of the window: open_data_folder, open_logs, open_link {url},
  // open_attachment {id}, quit.
  window.addEventListener('hearth:desktop', function (event) {
    var detail = event.detail || {};
    var actions = {open_data_folder: 1, open_logs: 1, open_link: 1, open_attachment: 1, quit: 1};
    if (!actions[detail.action]) return;
    var args = detail.action === 'open_link' ? [String(detail.url || '')]
      : detail.action === 'open_attachment' ? [String(detail.id || '')] : [];
    call(detail.action, args);
  });
  window.__hearthCommand = function (name) {
    window.dispatchEvent(new CustomEvent('hearth:command', {detail: {command: name}}));
  };
  document.addEventListener('keydown', function (event) {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey &&
        (event.key || '').toLowerCase() === 'q') {
      event.preventDefault();
      call('quit', []);
    }
  }, true);
  var reported = false;
  function apiCalls() {
    return performance.getEntriesByType('resource')
      .map(function (e) { return new URL(e.name).pathname; })
      .filter(function (p) { return p.indexOf('/api/') === 0; });
  }
  function check() {
    if (reported) return;
    var calls = apiCalls();
    if (calls.some(function (p) { return p.indexOf('/api/sessions') === 0; })) {
      reported = true;
      requestAnimationFrame(function () { requestAnimationFrame(function () {
        call('ui_ready', [{api_calls: calls.slice(0, 20), waited: false}]);
      }); });
    }
  }
  try { new PerformanceObserver(check).observe({type: 'resource', buffered: true}); }
  catch (e) { /* old engines: the timer below still reports */ }
  check();
  setTimeout(function () {
    if (!reported) { reported = true; call('ui_ready', [{api_calls: apiCalls(), waited: true}]); }
  }, 10000);
  window.dispatchEvent(new CustomEvent('hearth:desktop-ready'));
})();
"""


class DesktopApi:
    """What the page may ask of the window, as ``window.pywebview.api.NAME(...)``."""

    def __init__(self, window: HearthWindow) -> None:
        self._window = window

    def open_link(self, url: str) -> bool:
        return osopen.open_link(url)

    def open_data_folder(self) -> bool:
        return osopen.reveal(self._window.paths.data)

    def open_logs(self) -> bool:
        return osopen.reveal(self._window.paths.logs)

    def open_attachment(self, attachment_id: str) -> bool:
        return self._window.open_attachment(attachment_id)

    def quit(self) -> None:
        self._window.close()

    def ui_ready(self, info: dict | None = None) -> None:
        self._window.note_ui_ready(info or {})

    def info(self) -> dict:
        from core.version import __version__

        return {"desktop": True, "version": __version__, "platform": sys.platform}


_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
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
            js_api=DesktopApi(self),
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
        self._drop_return_values(self.window)

    @staticmethod
    def _drop_return_values(window) -> None:
        """pywebview hands each API call's result back through ``eval``, which the app's
        CSP refuses (an error and a traceback per call). Our page never waits for a result."""
        evaluate = window.evaluate_js

        def evaluate_js(script: str, callback=None):
            if script.startswith("window.pywebview._returnValuesCallbacks"):
                return None
            return evaluate(script, callback)

        window.evaluate_js = evaluate_js

    def run(self) -> None:
        """Show the window; return once it has closed."""
        import webview

        webview.settings["OPEN_EXTERNAL_LINKS_IN_BROWSER"] = True
        webview.settings["ALLOW_DOWNLOADS"] = True  # "export session" saves a file
        gui = "qt" if sys.platform.startswith("linux") else None
        webview.start(gui=gui, icon=str(ICON) if ICON.exists() else None, private_mode=True)

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
            call = f"window.__hearthCommand({json.dumps(name)})"
            self.window.run_js(f"window.__hearthCommand && {call}")

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
        try:
            sure = self.window.create_confirmation_dialog(
                "Quit Hearth?",
                f"{answers} still being written. Quit anyway? What was written so far is kept,"
                " marked as interrupted, and you can continue it later.",
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
