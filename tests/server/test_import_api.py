"""POST /api/sessions/import over HTTP on a real ``hearth serve``: ChatGPT and Claude exports
(zip or conversations.json, beyond the 10 MB every other route allows), progress, refusals
that import nothing, and the Hearth export as before."""

from __future__ import annotations

import json
import uuid

from tests.fakes.chat_exports import (
    claude_conversation,
    claude_message,
    generated_gpt,
    simple_gpt,
    zip_bytes,
)
from tests.server.test_sessions_api import assert_error

ZIP = {"Content-Type": "application/zip"}
JSON = {"Content-Type": "application/json"}


def total(server) -> int:
    return server.client.get("/api/sessions", params={"limit": 1}).json()["total"]


def test_a_chatgpt_zip_becomes_sessions(server):
    body = zip_bytes({"conversations.json": [simple_gpt("Bread"), simple_gpt("Cheese")]})
    answer = server.client.post("/api/sessions/import", content=body, headers=ZIP)
    assert answer.status_code == 201, answer.text
    result = answer.json()
    assert result["imported"] == 2 and len(result["session_ids"]) == 2
    first = server.session(result["session_ids"][0])
    assert first["title"] == "Bread" and first["model"] == "gpt-4o"
    assert [m["content"] for m in first["messages"]][:2] == ["Bread question 0", "Bread answer 0"]
    assert first["workspace"] is None and first["system_prompt"] is None
    assert first["import_review"] is None


def test_a_claude_conversations_json_becomes_sessions(server):
    chat = claude_conversation(
        [claude_message("human", "Hello", key="a"), claude_message("assistant", "Hi!", key="b")],
        name="Greeting",
    )
    answer = server.client.post("/api/sessions/import", content=json.dumps([chat]), headers=JSON)
    assert answer.status_code == 201, answer.text
    (session_id,) = answer.json()["session_ids"]
    assert [m["content"] for m in server.session(session_id)["messages"]] == ["Hello", "Hi!"]


def test_an_export_larger_than_10_mb_is_streamed_in(server):
    conversations = list(generated_gpt(600, turns=10))
    body = json.dumps(conversations).encode()
    assert len(body) > 11 * 1024 * 1024
    before = total(server)
    job = uuid.uuid4().hex
    answer = server.client.post(
        "/api/sessions/import", params={"job": job}, content=body, headers=JSON, timeout=120
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["imported"] == 600
    assert total(server) == before + 600
    progress = server.client.get(f"/api/imports/{job}").json()
    assert progress["phase"] == "done" and progress["imported"] == 600
    assert progress["done"] == progress["total"] == len(body)
    # Other routes still stop at 10 MB.
    other = server.client.post("/api/sessions", content=b" " * (11 * 1024 * 1024), headers=JSON)
    assert_error(other, 413, "payload_too_large")


def test_a_chunked_upload_is_streamed_in(server):
    body = zip_bytes({"conversations.json": [simple_gpt("Chunked")]})

    def pieces():
        for start in range(0, len(body), 100):
            yield body[start : start + 100]

    answer = server.client.post("/api/sessions/import", content=pieces(), headers=ZIP)
    assert answer.status_code == 201, answer.text
    assert answer.json()["imported"] == 1


def test_a_file_it_cannot_read_imports_nothing(server):
    before = total(server)
    good = json.dumps([simple_gpt(f"Good {i}") for i in range(5)])
    cut = good[: len(good) // 2]
    answer = server.client.post("/api/sessions/import", content=cut, headers=JSON)
    body = assert_error(answer, 400, "invalid_input")
    assert "not valid JSON" in body["error"]["message"]
    broken_zip = zip_bytes({"conversations.json": [simple_gpt("x")]})[:-30]
    assert_error(server.client.post("/api/sessions/import", content=broken_zip, headers=ZIP), 400)
    not_export = zip_bytes({"photo.jpg": b"\xff\xd8"})
    body = assert_error(
        server.client.post("/api/sessions/import", content=not_export, headers=ZIP), 400
    )
    assert "no conversations.json" in body["error"]["message"]
    assert_error(
        server.client.post(
            "/api/sessions/import", content=b"x", headers={"Content-Type": "text/plain"}
        ),
        400,
        "bad_content_type",
    )
    assert_error(server.client.post("/api/sessions/import", content=b"", headers=JSON), 400)
    assert total(server) == before


def test_progress_of_an_unknown_job_is_404(server):
    assert_error(server.client.get("/api/imports/nothing-here"), 404)
    assert_error(server.client.get("/api/imports/bad..id"), 400)


def test_a_hearth_export_still_imports_with_its_review(server):
    export = {
        "format": "hearth.session",
        "version": 1,
        "session": {"title": "Mine", "workspace": "/", "system_prompt": "Be terse."},
        "messages": [{"role": "user", "content": "hi"}],
    }
    answer = server.client.post("/api/sessions/import", json=export)
    assert answer.status_code == 201, answer.text
    session = answer.json()
    assert session["title"] == "Mine" and session["workspace"] is None
    assert session["import_review"] == {"workspace": "/", "system_prompt": "Be terse."}
