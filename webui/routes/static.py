"""The UI's files, and the sign-in link ``/?token=`` that turns the token into a cookie."""

from __future__ import annotations

from pathlib import Path

import bottle

from webui.http import fail
from webui.security import COOKIE_NAME, token_matches

STATIC = Path(__file__).resolve().parent.parent / "static"


def install(app: bottle.Bottle, hearth) -> None:
    root = str(STATIC)

    @app.get("/")
    def index():
        token = bottle.request.query.get("token")
        if token is not None:
            if not token_matches(token, hearth.token):
                return fail(401, "unauthorized", "This sign-in link is not valid (any more).")
            response = bottle.HTTPResponse(status=303, headers={"Location": "/"})
            response.set_cookie(COOKIE_NAME, token, httponly=True, samesite="strict", path="/")
            response.set_header("Cache-Control", "no-store")
            return response
        return _file("index.html", root)

    @app.get("/<path:re:(?!api/).+>")
    def static_file(path: str):
        return _file(path, root)


def _file(path: str, root: str):
    if path.endswith("/") or "\x00" in path:
        return fail(404)
    response = bottle.static_file(path, root=root)
    if isinstance(response, bottle.HTTPError):
        status = 404 if response.status_code == 403 else response.status_code
        return fail(status)
    response.set_header("Cache-Control", "no-cache")
    return response
