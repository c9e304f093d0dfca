"""What the desktop window asks of the server: whether runs are live (to ask before quitting).

It also notes in the server log the first time the UI reaches each API route, so the window's
tests and benchmark can see from outside that the page loaded and called the API.
"""

from __future__ import annotations

import logging
import threading

import bottle

from webui.http import loggable, reply

log = logging.getLogger("hearth.ui")


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
