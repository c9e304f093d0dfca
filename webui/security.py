"""The gate in front of the app: Host and Origin checks, the API token or a browser's sign-in
session, body size, and the security headers every response carries (errors included)."""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from webui.http import MAX_BODY, body_limit, error_body, too_large

COOKIE_PREFIX = "hearth_session_"
MAX_SIGN_INS = 64  # browser sign-ins remembered at once; the oldest is forgotten first
MAX_COOKIE_CANDIDATES = 16
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


def cookie_name(environ: dict[str, Any]) -> str:
    """The sign-in cookie's name for this server. Browsers share cookies between every port
    of a host, so the name carries the port: two Hearths (or any other local server) never
    read or overwrite each other's cookie."""
    port = environ.get("SERVER_PORT", "")
    return COOKIE_PREFIX + (port if port.isdigit() else "0")


def cookie_values(header: str, name: str) -> list[str]:
    """Every value the Cookie ``header`` gives ``name``, read leniently: pairs split on ';',
    anything malformed (a foreign page's cookie with spaces, quotes, no '=') skipped, never
    a reason to ignore the rest. A browser sends a cookie of one name several times when
    other pages set it for other paths, so all of them are returned (at most a few)."""
    found = []
    for part in header.split(";"):
        key, sep, value = part.partition("=")
        if sep and key.strip() == name:
            found.append(value.strip().strip('"'))
            if len(found) >= MAX_COOKIE_CANDIDATES:
                break
    return found


class SignIns:
    """Browser sign-ins: random secrets the server hands out for the token, kept in memory
    (only their hashes) and forgotten on rotation, on sign-out or when the server stops."""

    def __init__(self, limit: int = MAX_SIGN_INS) -> None:
        self._limit = limit
        self._known: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    def new(self) -> str:
        secret = secrets.token_urlsafe(32)
        with self._lock:
            self._known[_digest(secret)] = None
            while len(self._known) > self._limit:
                self._known.popitem(last=False)
        return secret

    def valid(self, secret: str) -> bool:
        # Looked up by hash: how long the lookup takes says nothing about the secret.
        with self._lock:
            return bool(secret) and _digest(secret) in self._known

    def forget(self, secret: str) -> None:
        with self._lock:
            self._known.pop(_digest(secret), None)

    def forget_all(self) -> None:
        with self._lock:
            self._known.clear()


def _is_latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "replace")).digest()


class Gate:
    """WSGI middleware around the Bottle app.

    ``hosts`` are the accepted ``Host`` values ("127.0.0.1:8765", "localhost:8765"...);
    the server adds them once it knows its port, via ``allow``.
    """

    def __init__(self, app: Callable, token: str, hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.token = token
        self.hosts: set[str] = {h.lower() for h in hosts}
        self.sign_ins = SignIns()

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

        environ["hearth.gate"] = self
        refusal = self.refuse(environ)
        if refusal is not None:
            return self._refuse(start, *refusal)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        method = environ.get("REQUEST_METHOD", "").upper()
        if chunked and body_limit(method, environ.get("PATH_INFO", "")) > MAX_BODY:
            # An import streams its body itself (cheroot has decoded the chunks already).
            environ["hearth.chunked"] = True
            del environ["HTTP_TRANSFER_ENCODING"]
            environ.pop("CONTENT_LENGTH", None)
        elif chunked:
            # cheroot has already decoded the chunks; Bottle would try again, and it sizes
            # bodies by Content-Length: hand it the decoded body, at most 10 MB of it.
            try:
                body = environ["wsgi.input"].read(MAX_BODY + 1)
            except Exception:  # cheroot's ValueError, MaxSizeExceeded, a timeout...
                return self._refuse(
                    start, 400, "bad_request", "The chunked request body is malformed."
                )
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
        if not _is_latin1(path):
            # PEP 3333 hands the path over as latin-1; Bottle fails on anything else.
            return 400, "bad_request", "The request's address is not valid."
        client = self.client(environ)
        environ["hearth.client"] = client
        if path.startswith("/api/") and path not in PUBLIC_API and client is None:
            return 401, "unauthorized", "This request needs Hearth's API token."
        raw_length = (environ.get("CONTENT_LENGTH") or "0").strip()
        if not raw_length.isascii() or not raw_length.isdigit() or len(raw_length) > 15:
            return 400, "bad_request", "The Content-Length header is not a whole number."
        length = int(raw_length)
        limit = body_limit(method, path)
        if length > limit:
            if limit > MAX_BODY:
                return 413, "payload_too_large", too_large(limit)
            return 413, "payload_too_large", "The request body is larger than 10 MB."
        return None

    def client(self, environ: dict[str, Any]) -> str | None:
        """Who is asking: "token" (the API token in ``Authorization: Bearer``), "sign-in:"
        and a short tag of the browser's sign-in secret, or None when neither is valid."""
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and token_matches(value.strip(), self.token):
            return "token"
        secret = self.sign_in_secret(environ)
        return f"sign-in:{_digest(secret).hex()[:16]}" if secret else None

    def sign_in_secret(self, environ: dict[str, Any]) -> str | None:
        """The valid sign-in secret the request's cookie carries, if any."""
        header = environ.get("HTTP_COOKIE") or ""
        for value in cookie_values(header, cookie_name(environ)):
            if self.sign_ins.valid(value):
                return value
        return None


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    413: "Payload Too Large",
    429: "Too Many Requests",
}
