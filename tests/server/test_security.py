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


def sign_in(server) -> tuple[httpx.Client, str]:
    """A browser-like client signed in through the link; and its sign-in secret."""
    browser = httpx.Client(base_url=server.url)
    answer = browser.get("/", params={"token": server.token})
    assert answer.status_code == 303, answer.text
    return browser, browser.cookies[f"hearth_session_{server.port}"]


def test_sign_in_link_sets_a_strict_http_only_cookie(server):
    browser = httpx.Client(base_url=server.url)
    answer = browser.get("/", params={"token": server.token})
    assert answer.status_code in (302, 303) and answer.headers["location"].endswith("/")
    assert "token" not in answer.headers["location"]
    cookie = answer.headers["set-cookie"]
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/;" in lowered + ";"
    assert cookie.startswith(f"hearth_session_{server.port}=")
    assert server.token not in cookie  # the browser's credential is not the API token
    assert browser.get("/api/sessions").status_code == 200
    assert browser.post("/api/sessions", json={}).status_code == 201
    assert httpx.get(server.url + "/", params={"token": "wrong"}).status_code == 401


def test_each_sign_in_gets_its_own_secret(server):
    _, first = sign_in(server)
    _, second = sign_in(server)
    assert first != second and len(first) >= 32
    assert server.token not in (first, second)


def test_the_token_itself_is_never_a_cookie_credential(server):
    plain = httpx.Client(base_url=server.url)
    for cookie in (
        f"hearth_token={server.token}",
        f"hearth_session_{server.port}={server.token}",
        f"hearth_session_{server.port}=made-up-secret",
    ):
        answer = plain.get("/api/sessions", headers={"Cookie": cookie})
        assert answer.status_code == 401, cookie


def test_rotation_forgets_every_sign_in_but_the_callers_new_one(server):
    old_browser, old_secret = sign_in(server)
    caller, caller_secret = sign_in(server)
    rotated = caller.post("/api/session/rotate")
    assert rotated.status_code == 200, rotated.text
    new_secret = caller.cookies[f"hearth_session_{server.port}"]
    assert new_secret not in (old_secret, caller_secret)
    assert caller.get("/api/sessions").status_code == 200
    assert old_browser.get("/api/sessions").status_code == 401
    cookie = {"Cookie": f"hearth_session_{server.port}={caller_secret}"}
    assert httpx.get(server.url + "/api/sessions", headers=cookie).status_code == 401
    assert server.client.get("/api/sessions").status_code == 200  # scripts keep the token
    # A script rotating leaves no browser signed in.
    assert server.client.post("/api/session/rotate").status_code == 200
    assert caller.get("/api/sessions").status_code == 401


def test_sign_out_forgets_that_sign_in_only(server):
    leaving, secret = sign_in(server)
    staying, _ = sign_in(server)
    answer = leaving.post("/api/session/sign-out")
    assert answer.status_code == 200 and answer.json() == {"signed_out": True}
    assert f"hearth_session_{server.port}=" in answer.headers["set-cookie"]
    cookie = {"Cookie": f"hearth_session_{server.port}={secret}"}
    assert httpx.get(server.url + "/api/sessions", headers=cookie).status_code == 401
    assert staying.get("/api/sessions").status_code == 200


def test_foreign_cookies_never_block_hearths_own(server):
    _, secret = sign_in(server)
    own = f"hearth_session_{server.port}={secret}"
    foreign = (
        "junk=a b; path=/api",  # what a page on another port set: SimpleCookie gave up on it
        'q="unterminated; x=\\"; =novalue; noequals; ;;',
        "a=\x01\x7f{}[]()<>@,/?; b=é; c=%00",
        f"hearth_session_{server.port}=stale-secret-from-another-path",  # same name, shadowing
        f"hearth_session_1={secret}x; hearth_session_{server.port}",
        "; ".join(f"c{i}=v{i}" for i in range(500)),  # many cookies
        "big=" + "x" * 30_000,  # large, though under the header limit
    )
    plain = httpx.Client(base_url=server.url)
    for junk in foreign:
        for cookie in (f"{junk}; {own}", f"{own}; {junk}"):
            answer = plain.get("/api/sessions", headers={"Cookie": cookie.encode()})
            assert answer.status_code == 200, (cookie[:80], answer.text)
        alone = plain.get("/api/sessions", headers={"Cookie": junk.encode()})
        assert alone.status_code == 401, junk[:80]


def test_a_sign_in_does_not_open_another_hearth(server, start_server):
    other = start_server()
    _, secret = sign_in(server)
    for name in (f"hearth_session_{server.port}", f"hearth_session_{other.port}"):
        answer = httpx.get(other.url + "/api/sessions", headers={"Cookie": f"{name}={secret}"})
        assert answer.status_code == 401


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
