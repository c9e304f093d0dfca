"""No request body, query or header makes any route answer 5xx: every route the Bottle app
has, collected from the app itself, gets malformed bodies, queries and headers, and answers
a 4xx (or a success) with a JSON error body. Driven in process through a WSGI client."""

from __future__ import annotations

import json
import random
import re

import httpx
import pytest

from webui.app import create_app

TOKEN = "fuzz-token-0123456789"
HOST = "127.0.0.1:8765"
FIELDS = (
    "title",
    "model",
    "workspace",
    "system_prompt",
    "pinned",
    "content",
    "edit",
    "regenerate",
    "continue",
    "message_id",
    "decision",
    "name",
    "kind",
    "base_url",
    "default_model",
    "api_key",
    "enabled",
    "format",
    "version",
    "session",
    "messages",
    "usage",
    "theme",
)
VALUES = (
    1,
    -1,
    10**30,
    -(10**400),
    1.5,
    True,
    None,
    [],
    {},
    {"a": {"b": [1, {"c": None}]}},
    "x" * 100_000,
    "\x00",
    "\u202e\ufeff",
    "../../etc/passwd",
    [[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]],
)
# Raw bodies that are not (acceptable) JSON at all.
RAW_BODIES = (
    b"[" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b"[" * 65 + b"]" * 65,
    b"\xff\xfe\x00{",
    b"",
    b"null",
    b"[]",
    b"1e999",
    b'{"title": NaN}',
    b'{"title": Infinity}',
    b'{"title": 1e400}',
    b'{"title": "\\ud800"}',
    b'{"content": "\\udfff x"}',
    b'{"\\ud800": 1}',
    b'{"title": "a"' + b", " * 1000,
    b"\x00" * 1000,
    b'{"title": "' + b"\\" * 10001 + b'"}',
)
CONTENT_TYPES = (
    "application/json",
    "application/json; charset=latin-1",
    "text/plain",
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded",
    "",
)
QUERIES = (
    {"limit": "1e23", "offset": "1e23"},
    {"offset": "99999999999999999999999999"},
    {"offset": "-1", "limit": "-5"},
    {"limit": "abc", "offset": "0x10"},
    {"limit": "\u0663", "offset": "\u0661\u0662"},  # non-ASCII digits
    {"limit": " 5", "offset": "+3"},
    {"q": "\x00", "format": "\x00"},
    {"q": "x" * 10_000},
    {"q": '"*NEAR(OR AND) ^'},
    {"format": "json", "after": "-5"},
    {"after": "1e3", "session_id": "%00"},
    {"token": "wrong"},
)
HEADERS = (
    {"Last-Event-ID": "nope"},
    {"Last-Event-ID": "99999999999999999999999"},
    {"Cookie": "junk=a b; path=/api; =;;; x"},
    {"Accept": "\x7f" * 10},
    {"Content-Type": "application/json; charset=\x7f"},
    {"X-Forwarded-For": "1.2.3.4", "Forwarded": "for=evil"},
)
BODYLESS = {  # routes that read no body: a deep one is simply not read
    "/api/session/rotate",
    "/api/session/sign-out",
    "/api/runs/<run_id>/cancel",
    "/api/providers/<provider_id>/test",
}
# The body is a file (an attachment): deep JSON is a text file like any other, kept or refused.
FILE_BODIES = {"/api/attachments"}
PLACEHOLDERS = (
    "x",
    "0" * 32,
    "%00",
    "..%2f..%2fetc",
    "a" * 5000,
    "%ff%fe",
    "%0d%0aforged",
    "\u00e9t\u00e9",
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from core.paths import Paths

    paths = Paths.resolve(tmp_path_factory.mktemp("fuzz") / "data")
    built = create_app(paths, token=TOKEN, hosts=(HOST,), env={})
    yield built
    built.close()


@pytest.fixture(scope="module")
def client(app):
    transport = httpx.WSGITransport(app=app)
    with httpx.Client(
        transport=transport,
        base_url=f"http://{HOST}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    ) as client:
        yield client


def routes(app) -> list[tuple[str, str]]:
    return sorted({(route.method, route.rule) for route in app.bottle.routes})


def fill(rule: str, value: str) -> str:
    return re.sub(r"<[^>]+>", value, rule)


def assert_answer(answer: httpx.Response, what: object) -> None:
    assert answer.status_code < 500, (what, answer.status_code, answer.text[:300])
    if answer.status_code >= 400:
        assert answer.headers["content-type"].startswith("application/json"), what
        error = answer.json()["error"]
        assert error["code"] and error["message"], what
        assert "Traceback" not in answer.text


def send(client: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response:
    answer = client.request(method, url, **kwargs)
    assert_answer(answer, (method, url, kwargs.get("params"), kwargs.get("headers")))
    return answer


def test_the_app_has_routes_to_fuzz(app):
    found = routes(app)
    assert len(found) >= 15
    assert ("GET", "/api/runs/<run_id>/events") in found


def test_malformed_bodies_on_every_route(app, client):
    session = send(client, "POST", "/api/sessions", json={"title": "fuzz target"}).json()
    ids = (*PLACEHOLDERS[:3], session["id"])
    rng = random.Random(10)
    for method, rule in routes(app):
        if method not in ("POST", "PUT", "PATCH", "DELETE"):
            continue
        for value in ids:
            url = fill(rule, value)
            for raw in RAW_BODIES:
                send(client, method, url, content=raw, headers={"Content-Type": "application/json"})
            for kind in CONTENT_TYPES:
                send(client, method, url, content=b'{"title": "t"}', headers={"Content-Type": kind})
            for value in VALUES:
                send(client, method, url, json={name: value for name in FIELDS})
            for _ in range(25):
                name, value = rng.choice(FIELDS), rng.choice(VALUES)
                send(client, method, url, json={name: value})
    # Whatever was accepted on the way can still be listed and opened.
    listed = send(client, "GET", "/api/sessions", params={"limit": "500"}).json()
    for summary in listed["sessions"]:
        opened = client.get(f"/api/sessions/{summary['id']}")
        assert opened.status_code in (200, 404), opened.text[:300]


def test_malformed_paths_queries_and_headers_on_every_route(app, client):
    for method, rule in routes(app):
        for value in PLACEHOLDERS:
            url = fill(rule, value)
            for params in QUERIES:
                send(client, method, url, params=params)
            for headers in HEADERS:
                send(client, method, url, headers=headers)


def test_queries_out_of_range_answer_400_with_a_sentence(client):
    for params in QUERIES[:6]:
        answer = send(client, "GET", "/api/sessions", params=params)
        assert answer.status_code == 400, (params, answer.text)
        assert "whole number" in answer.json()["error"]["message"] or "from" in answer.text
    assert send(client, "GET", "/api/sessions", params={"offset": "5"}).status_code == 200


def test_deep_json_answers_400_on_every_json_route(app, client):
    for method, rule in routes(app):
        if method not in ("POST", "PUT", "PATCH"):
            continue
        for raw in (b"[" * 100_000, b'{"a":' * 100_000, b"[" * 65 + b"]" * 65):
            answer = send(
                client,
                method,
                fill(rule, "0" * 32),
                content=raw,
                headers={"Content-Type": "application/json"},
            )
            if rule in FILE_BODIES:
                assert answer.status_code in (201, 413, 415), (rule, answer.status_code)
            elif rule not in BODYLESS:
                assert answer.status_code in (400, 404, 405), (rule, answer.status_code)
    answer = send(
        client,
        "POST",
        "/api/sessions",
        content=b'{"title": ' + b"[" * 100 + b"]" * 100 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400 and "deeper than 64" in answer.json()["error"]["message"]


def test_an_import_with_odd_usage_stays_openable(client):
    odd_usages = (
        {"input_tokens": {"cached": 3}, "output_tokens": 7},
        {"input_tokens": [1, 2], "output_tokens": "7", "cost": True},
        {"input_tokens": 1e300 * 10, "nested": {"a": {"b": {"c": 1}}}},
        ["not", "an", "object"],
        "usage",
        42,
        {"x" * 1000: 5, "ok": 3},
    )
    for usage in odd_usages:
        export = {
            "format": "hearth.session",
            "version": 1,
            "session": {"title": "odd usage"},
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "hello", "usage": usage},
            ],
        }
        imported = client.post(
            "/api/sessions/import",
            content=json.dumps(export, allow_nan=True).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert_answer(imported, usage)
        if imported.status_code != 201:
            continue  # refused whole (e.g. Infinity): nothing stored to open
        opened = client.get(f"/api/sessions/{imported.json()['id']}")
        assert opened.status_code == 200, opened.text
        json.loads(opened.text, parse_constant=_refuse_constant)  # a browser can read it
        stored = opened.json()["messages"][-1].get("usage")
        assert stored is None or all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in stored.values()
        ), stored
    flat = {
        "format": "hearth.session",
        "version": 1,
        "session": {"title": "flat usage"},
        "messages": [
            {"role": "assistant", "content": "a", "usage": {"input_tokens": 5, "nested": {}}}
        ],
    }
    kept = client.post("/api/sessions/import", json=flat).json()
    opened = client.get(f"/api/sessions/{kept['id']}").json()
    assert opened["messages"][0]["usage"] == {"input_tokens": 5}


def _refuse_constant(name: str):
    raise AssertionError(f"{name} in a response")
