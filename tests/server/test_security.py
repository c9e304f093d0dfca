"""Token, cookie, Host and Origin checks; security headers; static files."""

from __future__ import annotations

import httpx

SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def assert_secure_headers(answer: httpx.Response) -> None:
    for name, value in SECURITY.items():
        assert answer.headers.get(name) == value, (name, answer.status_code)
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_api_needs_the_token(server):
    plain = httpx.Client(base_url=server.url)
    for path in ("/api/sessions", "/api/runs/0123456789abcdef0123456789abcdef", "/api/settings"):
        answer = plain.get(path)
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
    wrong = plain.get("/api/sessions", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert plain.post("/api/sessions", json={}).status_code == 401


def test_sign_in_link_sets_a_strict_http_only_cookie(server):
    browser = httpx.Client(base_url=server.url)
    answer = browser.get("/", params={"token": server.token})
    assert answer.status_code in (302, 303) and answer.headers["location"].endswith("/")
    assert "token" not in answer.headers["location"]
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert browser.get("/api/sessions").status_code == 200
    assert browser.post("/api/sessions", json={}).status_code == 201
    assert httpx.get(server.url + "/", params={"token": "wrong"}).status_code == 401


def test_foreign_host_is_refused(server):
    for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1:1"):
        answer = server.client.get("/api/sessions", headers={"Host": host})
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden_host"
        assert httpx.get(server.url + "/api/health", headers={"Host": host}).status_code == 403
    local = server.client.get("/api/sessions", headers={"Host": f"localhost:{server.port}"})
    assert local.status_code == 200


def test_foreign_origin_cannot_change_state(server):
    evil = {"Origin": "http://evil.example"}
    answer = server.client.post("/api/sessions", json={}, headers=evil)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden_origin"
    assert (
        server.client.post("/api/sessions", json={}, headers={"Origin": "null"}).status_code == 403
    )
    own = server.client.post("/api/sessions", json={}, headers={"Origin": server.url})
    assert own.status_code == 201
    assert server.client.get("/api/sessions", headers=evil).status_code == 200  # reading is safe


def test_security_headers_on_every_response(server):
    answers = [
        httpx.get(server.url + "/api/health"),
        httpx.get(server.url + "/"),
        httpx.get(server.url + "/api/sessions"),
        server.client.get("/api/nowhere"),
        server.client.get("/api/sessions", headers={"Host": "evil.example"}),
        server.client.delete("/api/health"),
    ]
    for answer in answers:
        assert_secure_headers(answer)


def test_static_files_and_no_escape(server):
    index = httpx.get(server.url + "/")
    assert index.status_code == 200 and "Hearth" in index.text
    assert index.headers["content-type"].startswith("text/html")
    assert "<script>" not in index.text
    assert httpx.get(server.url + "/style.css").status_code == 200
    raw = httpx.Client(base_url=server.url)
    for path in (
        "/../pyproject.toml",
        "/%2e%2e/pyproject.toml",
        "/..%2fpyproject.toml",
        "/routes/",
        "/static/",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/index.html%00.css",
    ):
        answer = raw.get(path)
        assert answer.status_code in (400, 404), (path, answer.status_code)
        assert "[project]" not in answer.text and "root:" not in answer.text
