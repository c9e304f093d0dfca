"""The UI's files, and signing a browser in and out.

``/?token=TOKEN`` trades the API token for a sign-in secret of the browser's own, in an
HttpOnly, SameSite=Strict cookie named after the port; the token itself never becomes a
cookie. ``POST /api/session/rotate`` forgets every sign-in but the caller's new one, and
``POST /api/session/sign-out`` forgets the caller's.
"""

from __future__ import annotations

from pathlib import Path

import bottle

from webui.http import fail, reply
from webui.security import cookie_name, token_matches

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
            _set_sign_in(response, _gate().sign_ins.new())
            response.set_header("Cache-Control", "no-store")
            return response
        return _file("index.html", root)

    @app.post("/api/session/rotate")
    def rotate_sign_ins():
        sign_ins = _gate().sign_ins
        sign_ins.forget_all()
        response = reply({"rotated": True})
        if bottle.request.environ.get("hearth.client") != "token":
            _set_sign_in(response, sign_ins.new())  # the browser that asked stays signed in
        return response

    @app.post("/api/session/sign-out")
    def sign_out():
        gate = _gate()
        secret = gate.sign_in_secret(bottle.request.environ)
        if secret:
            gate.sign_ins.forget(secret)
        response = reply({"signed_out": bool(secret)})
        response.delete_cookie(
            cookie_name(bottle.request.environ), path="/", httponly=True, samesite="strict"
        )
        return response

    @app.get("/<path:re:(?!api/).+>")
    def static_file(path: str):
        return _file(path, root)


def _gate():
    return bottle.request.environ["hearth.gate"]


def _set_sign_in(response: bottle.HTTPResponse, secret: str) -> None:
    response.set_cookie(
        cookie_name(bottle.request.environ),
        secret,
        httponly=True,
        samesite="strict",
        path="/",
    )


def _file(path: str, root: str):
    if path.endswith("/") or "\x00" in path:
        return fail(404)
    response = bottle.static_file(path, root=root)
    if isinstance(response, bottle.HTTPError):
        status = 404 if response.status_code == 403 else response.status_code
        return fail(status)
    response.set_header("Cache-Control", "no-cache")
    return response
