"""Helpers shared by the tools tests: a context over a temp workspace, a local HTTP server."""

from __future__ import annotations

import contextlib
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from core.agent.tools import ToolContext, ToolResult, get_tool, run_tool

# A route answers (status, headers, body) for a request handler.
Route = Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]


def make_ctx(workspace: Path, **overrides: Any) -> ToolContext:
    return ToolContext(workspace=workspace, **overrides)


def call(name: str, args: Any, ctx: ToolContext) -> ToolResult:
    tool = get_tool(name)
    assert tool is not None, name
    return run_tool(tool, args, ctx)


def page(
    body: bytes | str,
    content_type: str = "text/html; charset=utf-8",
    status: int = 200,
    **headers: str,
) -> Route:
    data = body.encode() if isinstance(body, str) else body
    return lambda _handler: (status, {"Content-Type": content_type, **headers}, data)


def redirect(location: str, status: int = 302) -> Route:
    return lambda _handler: (status, {"Location": location}, b"")


class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1 answering from a dict of routes."""

    def __init__(self, routes: dict[str, Route], tls: tuple[Path, Path] | None = None) -> None:
        self.routes = routes
        self.requests: list[tuple[str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                outer.requests.append((self.path, dict(self.headers)))
                route = outer.routes.get(self.path.split("?")[0])
                if route is None:
                    status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
                else:
                    status, headers, body = route(self)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:  # (certificate, key) files
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@contextlib.contextmanager
def serving(
    routes: dict[str, Route], tls: tuple[Path, Path] | None = None
) -> Iterator[LocalServer]:
    with LocalServer(routes, tls) as server:
        yield server


def self_signed_certificate(folder: Path, hostname: str) -> tuple[Path, Path]:
    """(certificate, key) for ``hostname``, made with the openssl command."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            f"/CN={hostname}",
            "-addext",
            f"subjectAltName=DNS:{hostname}",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key
