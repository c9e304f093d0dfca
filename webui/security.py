"""The gate in front of the app: Host and Origin checks, the API token, body size, and the
security headers every response carries (errors included)."""

from __future__ import annotations

import hmac
import io
from collections.abc import Callable, Iterable
from http.cookies import CookieError, SimpleCookie
from typing import Any

from webui.http import MAX_BODY, error_body

COOKIE_NAME = "hearth_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_API = frozenset({"/api/health"})
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
]
_SECURITY_NAMES = {name.lower() for name, _ in SECURITY_HEADERS}


def token_matches(given: str | None, token: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), token.encode())


class Gate:
    """WSGI middleware around the Bottle app.

    ``hosts`` are the accepted ``Host`` values ("127.0.0.1:8765", "localhost:8765"...);
    the server adds them once it knows its port, via ``allow``.
    """

    def __init__(self, app: Callable, token: str, hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.token = token
        self.hosts: set[str] = {h.lower() for h in hosts}

    def allow(self, host: str, port: int) -> None:
        host = host.lower()
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        self.hosts.add(f"{host}:{port}")
        if host in ("127.0.0.1", "[::1]", "localhost"):
            self.hosts.update({f"127.0.0.1:{port}", f"localhost:{port}"})

    @property
    def origins(self) -> set[str]:
        return {f"http://{h}" for h in self.hosts}

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            kept = [(k, v) for k, v in headers if k.lower() not in _SECURITY_NAMES]
            return start_response(status, kept + SECURITY_HEADERS, exc_info)

        refusal = self.refuse(environ)
        if refusal is not None:
            return self._refuse(start, *refusal)
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            # cheroot has already decoded the chunks; Bottle would try again, and it sizes
            # bodies by Content-Length: hand it the decoded body, at most 10 MB of it.
            body = environ["wsgi.input"].read(MAX_BODY + 1)
            if len(body) > MAX_BODY:
                return self._refuse(
                    start, 413, "payload_too_large", "The request body is larger than 10 MB."
                )
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_TRANSFER_ENCODING"]
        return self.app(environ, start)

    def _refuse(self, start: Callable, status: int, code: str, message: str) -> list[bytes]:
        body = error_body(status, code, message)
        start(
            f"{status} {_REASONS[status]}",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                ("Connection", "close"),
            ],
        )
        return [body]

    def refuse(self, environ: dict[str, Any]) -> tuple[int, str, str] | None:
        host = environ.get("HTTP_HOST", "").strip().lower()
        if host not in self.hosts:
            return 403, "forbidden_host", "Hearth answers only requests addressed to itself."
        method = environ.get("REQUEST_METHOD", "GET").upper()
        origin = environ.get("HTTP_ORIGIN")
        if method not in SAFE_METHODS and origin is not None:
            if origin.strip().lower() not in self.origins:
                return 403, "forbidden_origin", "Requests from other sites are not allowed."
        path = environ.get("PATH_INFO", "")
        if path.startswith("/api/") and path not in PUBLIC_API and not self.signed_in(environ):
            return 401, "unauthorized", "This request needs Hearth's API token."
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 400, "bad_request", "The Content-Length header is not a number."
        if length > MAX_BODY:
            return 413, "payload_too_large", "The request body is larger than 10 MB."
        return None

    def signed_in(self, environ: dict[str, Any]) -> bool:
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and token_matches(value.strip(), self.token):
            return True
        return token_matches(cookie_token(environ), self.token)


def cookie_token(environ: dict[str, Any]) -> str | None:
    raw = environ.get("HTTP_COOKIE")
    if not raw:
        return None
    try:
        cookies = SimpleCookie(raw)
    except CookieError:
        return None
    morsel = cookies.get(COOKIE_NAME)
    return morsel.value if morsel else None


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    413: "Payload Too Large",
}
