"""Limits seen on the wire of a real ``hearth serve``: request header size, malformed chunked
bodies and framing headers, deep JSON, and log lines that a request path cannot forge."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tests.server.conftest import wait_for

HEADER_LIMIT = 64 * 1024


def raw_request(
    server, head: bytes, body: bytes = b"", timeout: float = 10.0
) -> tuple[int | None, bytes]:
    """Send bytes as they are (no client tidying them up); the status and the whole answer
    (None if the server reset the connection before answering)."""
    answer = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        try:
            sock.sendall(head + body)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server stopped reading early; its answer may still be there
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            if not answer:
                return None, b""
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1."), answer[:200]
    return int(status_line.split()[1]), answer


def head_for(server, method: str, path: str, *lines: str, auth: bool = True) -> bytes:
    headers = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}", "Connection: close"]
    if auth:
        headers.append(f"Authorization: Bearer {server.token}")
    return ("\r\n".join([*headers, *lines]) + "\r\n\r\n").encode("utf-8")


def json_error(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    return b"application/json" in head and b'"error"' in body


def test_headers_over_the_limit_are_refused_without_reading_them_all(server):
    started = time.monotonic()
    sent = 0
    status = None
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n".encode())
        piece = b"X-Padding: " + b"a" * 65_000 + b"\r\n"
        try:
            while sent < 40 * 1024 * 1024:
                sock.sendall(piece)
                sent += len(piece)
        except OSError:
            pass  # the server closed the connection: it stopped reading
        try:
            status = sock.recv(4096).split(b" ", 2)[1]
        except (OSError, IndexError):
            pass  # the answer may be lost to the reset; what matters is that reading stopped
    assert sent < 40 * 1024 * 1024, "the server read a 40 MB header"
    assert time.monotonic() - started < 10
    if status is not None:
        assert 400 <= int(status) < 500
    assert httpx.get(server.url + "/api/health").status_code == 200


@pytest.mark.parametrize("size", [HEADER_LIMIT + 1024, 200 * 1024])
def test_a_header_over_the_limit_answers_4xx(server, size):
    head = head_for(server, "GET", "/api/sessions", "X-Big: " + "b" * size)
    status, _ = raw_request(server, head)
    assert status is None or 400 <= status < 500  # None: reset before the answer was read
    assert httpx.get(server.url + "/api/health").status_code == 200


def test_headers_under_the_limit_still_work(server):
    head = head_for(server, "GET", "/api/sessions", "X-Big: " + "b" * 32_000)
    status, _ = raw_request(server, head)
    assert status == 200


BAD_CHUNKS = (
    b"zz\r\n{}\r\n0\r\n\r\n",  # not hexadecimal
    b"ffffffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",  # absurdly large
    b"\r\n\r\n",  # no size at all
    b"2\r\n{}XX0\r\n\r\n",  # no CRLF after the data
    b"10\r\n{}",  # shorter than announced, then the client stops sending
)


@pytest.mark.parametrize("body", BAD_CHUNKS)
def test_a_malformed_chunked_body_answers_400(server, body):
    head = head_for(
        server,
        "POST",
        "/api/sessions",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
    )
    status, answer = raw_request(server, head, body)
    assert status is not None and 400 <= status < 500, answer[:300]
    if status == 400 and b"hearth" in answer.lower():
        assert json_error(answer)


# cheroot reads these leniently (int(size, 16) takes a sign; extensions are skipped): any
# answer but a 5xx will do.
ODD_CHUNKS = (b"-2\r\n{}\r\n0\r\n\r\n", b"2;\x00ext\r\n{}\r\n0\r\n\r\n", b"+2\r\n{}\r\n0\r\n\r\n")


@pytest.mark.parametrize("body", ODD_CHUNKS)
def test_an_odd_chunked_body_never_5xx(server, body):
    head = head_for(
        server,
        "POST",
        "/api/sessions",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
    )
    status, answer = raw_request(server, head, body)
    assert status is not None and status < 500, answer[:300]


def test_a_well_formed_chunked_body_still_works(server):
    head = head_for(
        server,
        "POST",
        "/api/sessions",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
    )
    status, answer = raw_request(server, head, b'5\r\n{"tit\r\n9\r\nle": "c"}\r\n0\r\n\r\n')
    assert status == 201, answer[:300]


@pytest.mark.parametrize(
    "lines",
    [
        ("Content-Length: -1",),
        ("Content-Length: abc",),
        ("Content-Length: 1e3",),
        ("Content-Length: 99999999999999999999999999",),
        ("Content-Length: 2", "Content-Length: 3"),
        ("Content-Length: \u0663",),
        ("X-Broken-Header-Without-Colon",),
        ("Content-Type: application/json; charset=\x7f",),
        ("Authorization: Bearer " + "x" * 10_000,),
        ("Last-Event-ID: \xff\xfe",),
    ],
)
def test_malformed_framing_headers_never_5xx(server, lines):
    head = head_for(server, "POST", "/api/sessions", "Content-Type: application/json", *lines)
    status, answer = raw_request(server, head, b"{}")
    assert status is not None and status < 500, answer[:300]


def test_an_unknown_transfer_coding_is_not_implemented(server):
    # RFC 9112 section 6.1: a server that does not understand a transfer coding answers 501;
    # cheroot does so before the request reaches Hearth. That is the protocol's answer, not
    # a failure of the server, which keeps serving.
    for coding in ("gzip, chunked", "identity", "x" * 100):
        head = head_for(server, "POST", "/api/sessions", f"Transfer-Encoding: {coding}")
        status, _ = raw_request(server, head, b"{}")
        assert status == 501
    assert httpx.get(server.url + "/api/health").status_code == 200


def test_deep_json_over_the_wire_answers_400(server):
    for body in (b"[" * 100_000, b'{"a":' * 100_000, b'{"title": ' + b"[" * 70 + b"]" * 70 + b"}"):
        answer = server.client.post(
            "/api/sessions", content=body, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["code"] == "malformed_json"


def test_unmatched_api_paths_cannot_forge_log_lines_or_grow_the_log(server):
    log = server.data_dir / "logs" / "server.log"
    forged = "/api/x%0d%0a2099-01-01 00:00:00,000 INFO hearth.server: FORGED%0aFORGED2%e2%80%a8"
    assert server.client.get(forged).status_code == 404
    for i in range(300):  # many distinct paths and methods: one log line, not 300
        server.client.get(f"/api/nowhere-{i}")
        server.client.request(f"VERB{i}", "/api/sessions")
    server.client.get("/api/" + "long" * 5000)
    wait_for(lambda: "(no route)" in _read(log) or "'/api/x" in _read(log))
    text = _read(log)
    lines = text.splitlines()
    assert not any(line.startswith(("2099", "FORGED")) for line in lines), text[-2000:]
    assert not any("FORGED2" in line and "first request" not in line for line in lines)
    assert sum("nowhere-" in line for line in lines) <= 1
    assert not any("VERB" in line for line in lines)
    assert max(len(line) for line in lines) < 2000


def _read(path) -> str:
    return path.read_text("utf-8", "replace") if path.exists() else ""
