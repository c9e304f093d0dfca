"""fetch_url against real local HTTP servers, with the network guard in the way."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest_tools import (
    LocalServer,
    call,
    make_ctx,
    page,
    redirect,
    self_signed_certificate,
    serving,
)

from core.agent.tools import ToolContext

ARTICLE = """<!doctype html><html><head><title>Tea  notes</title>
<style>body { color: red }</style><script>var secret = "script text";</script></head>
<body><nav><a href="/">Home</a> | <a href="/about">About us</a></nav>
<h1>Green tea</h1><p>Brew at <b>80&deg;C</b> for
   two minutes. See <a href="/guide">the guide</a>.</p>
<ul><li>Sencha</li><li>Gyokuro</li></ul><footer>Footer words</footer></body></html>"""


@pytest.fixture
def server() -> Iterator[LocalServer]:
    release = threading.Event()

    def slow(_handler: Any) -> tuple[int, dict[str, str], bytes]:
        release.wait(5)
        return 200, {"Content-Type": "text/plain"}, b"late"

    routes = {
        "/article": page(ARTICLE),
        "/data.json": page('{"a": [1, 2]}', "application/json"),
        "/image.png": page(b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        "/blob": page(b"\x00\x01\x02\x03binary", "application/octet-stream"),
        "/big.txt": page(b"word " * 700_000, "text/plain"),  # 3.5 MB
        "/missing": page("<p>No such page</p>", status=404),
        "/hop": redirect("/article"),
        "/loop": redirect("/loop"),
        "/slow": slow,
        "/echo-host": lambda h: (
            200,
            {"Content-Type": "text/plain"},
            f"host={h.headers['Host']}".encode(),
        ),
    }
    with serving(routes) as local:
        yield local
        release.set()


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return make_ctx(tmp_path, allow_private_network=True)


def test_html_becomes_readable_text(server: LocalServer, ctx: ToolContext) -> None:
    result = call("fetch_url", {"url": server.url + "/article"}, ctx)
    assert result.ok, result.output
    assert result.output == (
        f"URL: {server.url}/article\nContent-Type: text/html\n\n"
        "Title: Tea notes\n\n"
        "# Green tea\n\n"
        f"Brew at 80°C for two minutes. See the guide ({server.url}/guide).\n\n"
        "- Sencha\n- Gyokuro\n\n"
        "Footer words"
    )


def test_json_comes_back_as_is_and_errors_show_status(
    server: LocalServer, ctx: ToolContext
) -> None:
    result = call("fetch_url", {"url": server.url + "/data.json"}, ctx)
    assert result.ok and result.output.endswith('\n\n{"a": [1, 2]}')
    missing = call("fetch_url", {"url": server.url + "/missing"}, ctx)
    assert not missing.ok
    assert "Status: 404 Not Found" in missing.output and "No such page" in missing.output


def test_loopback_is_refused_by_default(server: LocalServer, tmp_path: Path) -> None:
    for url in (server.url + "/article", f"http://localhost:{server.port}/article"):
        result = call("fetch_url", {"url": url}, make_ctx(tmp_path))
        assert not result.ok
        assert "private or local network address" in result.output
    assert server.requests == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_hearths_own_server_is_refused_even_when_private_is_allowed(
    server: LocalServer, tmp_path: Path, host: str
) -> None:
    ctx = make_ctx(
        tmp_path, allow_private_network=True, blocked_addresses=frozenset({(host, server.port)})
    )
    result = call("fetch_url", {"url": f"http://localhost:{server.port}/article"}, ctx)
    assert not result.ok
    assert "Hearth's own server" in result.output
    assert server.requests == []


def test_redirects_are_followed_and_each_hop_is_checked(
    server: LocalServer, tmp_path: Path
) -> None:
    ctx = make_ctx(tmp_path, allow_private_network=True)
    hop = call("fetch_url", {"url": server.url + "/hop"}, ctx)
    assert hop.ok and hop.output.startswith(f"URL: {server.url}/article\n")
    loop = call("fetch_url", {"url": server.url + "/loop"}, ctx)
    assert not loop.ok and "too many redirects (more than 5)" in loop.output
    assert len([p for p, _ in server.requests if p == "/loop"]) == 6

    with serving({"/secret": page("hearth api")}) as hearth:
        with serving({"/go": redirect(hearth.url + "/secret")}) as other:
            blocked = make_ctx(
                tmp_path,
                allow_private_network=True,
                blocked_addresses=frozenset({("127.0.0.1", hearth.port)}),
            )
            result = call("fetch_url", {"url": other.url + "/go"}, blocked)
            assert not result.ok and "Hearth's own server" in result.output
            assert [p for p, _ in other.requests] == ["/go"]
            assert hearth.requests == []


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/x", "gopher://x", "example.com/page", "http://"],
)
def test_other_schemes_and_bad_urls_are_refused(ctx: ToolContext, url: str) -> None:
    result = call("fetch_url", {"url": url}, ctx)
    assert not result.ok
    assert (
        "only http and https" in result.output
        or "valid URL" in result.output
        or "no host" in result.output
    )


def test_size_cap_stops_the_download(server: LocalServer, ctx: ToolContext) -> None:
    result = call("fetch_url", {"url": server.url + "/big.txt"}, ctx)
    assert result.ok
    assert "[download stopped at 2,000,000 bytes; the rest is not shown]" in result.output
    assert len(result.output) <= ctx.output_cap + 200


def test_binary_content_is_refused(server: LocalServer, ctx: ToolContext) -> None:
    for path, words in (
        ("/image.png", "image/png, which is not text"),
        ("/blob", "binary content"),
    ):
        result = call("fetch_url", {"url": server.url + path}, ctx)
        assert not result.ok and words in result.output


def test_slow_server_times_out(server: LocalServer, tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, allow_private_network=True, fetch_timeout=0.5)
    started = time.monotonic()
    result = call("fetch_url", {"url": server.url + "/slow"}, ctx)
    assert time.monotonic() - started < 3
    assert not result.ok and "did not answer within 0.5 seconds" in result.output


def test_cancel_returns_at_once(server: LocalServer, ctx: ToolContext) -> None:
    results: list[Any] = []
    worker = threading.Thread(
        target=lambda: results.append(call("fetch_url", {"url": server.url + "/slow"}, ctx))
    )
    worker.start()
    deadline = time.monotonic() + 5
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.requests
    cancelled_at = time.monotonic()
    ctx.cancel.set()
    worker.join(5)
    assert time.monotonic() - cancelled_at < 1
    assert not results[0].ok and "cancelled" in results[0].output


def _fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> dict[str, int]:
    """Answer getaddrinfo for made-up names, in order; count the lookups of each."""
    real = socket.getaddrinfo
    lookups = dict.fromkeys(answers, 0)

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        lookups[host] += 1
        result = []
        for address in answers[host]:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
            result.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return result

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return lookups


def test_the_checked_address_is_the_one_connected_to(
    server: LocalServer, ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups = _fake_dns(monkeypatch, {"rebind.test": ["127.0.0.1"]})
    result = call("fetch_url", {"url": f"http://rebind.test:{server.port}/echo-host"}, ctx)
    assert result.ok, result.output
    assert result.output.endswith(f"host=rebind.test:{server.port}")
    assert lookups == {"rebind.test": 1}  # no second lookup a rebinding DNS could answer


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.1.2.3"],
        ["192.168.1.1"],
        ["169.254.169.254"],
        ["::1"],
        ["::ffff:127.0.0.1"],
        ["0.0.0.0"],
        ["224.0.0.1"],
        ["fe80::1"],
        ["fd00::1"],
        ["100.64.0.1"],
        ["93.184.215.14", "127.0.0.1"],
    ],
)
def test_names_resolving_to_private_addresses_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, addresses: list[str]
) -> None:
    _fake_dns(monkeypatch, {"evil.test": addresses})
    result = call("fetch_url", {"url": "http://evil.test/"}, make_ctx(tmp_path))
    assert not result.ok
    assert "private or local network address" in result.output


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_https_is_pinned_with_the_right_sni_and_certificate_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssl

    import httpcore2

    cert, key = self_signed_certificate(tmp_path, "secure.test")
    # httpx2 trusts the system's certificate store: make it trust only the test's certificate.
    trusting = lambda **_kwargs: ssl.create_default_context(cafile=str(cert))  # noqa: E731
    monkeypatch.setattr(httpcore2, "default_ssl_context", trusting)
    lookups = _fake_dns(monkeypatch, {"secure.test": ["127.0.0.1"], "wrong.test": ["127.0.0.1"]})
    ctx = make_ctx(tmp_path, allow_private_network=True)
    echo = {"/": lambda h: (200, {"Content-Type": "text/plain"}, h.headers["Host"].encode())}
    with serving(echo, tls=(cert, key)) as server:
        good = call("fetch_url", {"url": f"https://secure.test:{server.port}/"}, ctx)
        assert good.ok, good.output
        assert good.output.endswith(f"\n\nsecure.test:{server.port}")
        # Same address, another name: the certificate is checked against the name asked for.
        wrong = call("fetch_url", {"url": f"https://wrong.test:{server.port}/"}, ctx)
        assert not wrong.ok and "certificate is not valid for 'wrong.test'" in wrong.output
    assert lookups == {"secure.test": 1, "wrong.test": 1}
