"""What the desktop window and its page ask of the server.

- ``GET /api/desktop/state``: whether runs are live (the window asks before quitting).
- ``POST /api/desktop/<action>``: the page asks the window for something only a window can do
  (reveal a folder, open a link in the system browser, pick a folder...). The window registers
  its actions with the app as plain callables (``create_app(desktop=...)``), so this layer never
  imports the window's toolkit; under ``hearth serve`` there are none and the answer is a 404.

It also notes in the server log the first time the UI reaches each API route, so the window's
tests and benchmark can see from outside that the page loaded and called the API.
"""

from __future__ import annotations

import logging
import threading

import bottle

from webui.http import fail, json_body, loggable, reply

log = logging.getLogger("hearth.ui")

NOT_IN_WINDOW = (
    "This is only in the desktop window: this Hearth is a server (`hearth serve`) without one."
)


def install(app: bottle.Bottle, hearth) -> None:
    # Keyed by the route, never by what the client sent: bounded by the number of routes
    # (plus one for every address that has none), whatever paths and methods arrive.
    seen: set[tuple[str, str]] = set()
    seen_lock = threading.Lock()

    @app.hook("after_request")
    def note_first_call():
        request = bottle.request
        if not request.path.startswith("/api/"):
            return
        route = request.environ.get("bottle.route")
        key = (route.method, route.rule) if route is not None else ("*", "(no route)")
        with seen_lock:
            if key in seen:
                return
            seen.add(key)
        shown = key[1] if route is not None else loggable(request.path)
        log.info("first request: %s %s -> %s", key[0], shown, bottle.response.status_code)

    @app.get("/api/desktop/state")
    def desktop_state():
        return reply({"live_runs": hearth.runs.live_runs()})

    @app.post("/api/desktop/<action>")
    def desktop_action(action: str):
        actions = hearth.desktop
        if not actions:
            raise fail(404, "not_in_window", NOT_IN_WINDOW)
        do = actions.get(action)
        if do is None:
            raise fail(404, "unknown_action", "The window has no such action.")
        return reply(do(json_body(optional=True)) or {})
