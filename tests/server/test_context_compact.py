"""Compact now, a provider that says the conversation is too long, and a crash mid-compaction,
through a real ``hearth serve`` and the fake model server."""

from __future__ import annotations

import json
import threading

import pytest

from tests.fakes import FakeOpenAIServer
from tests.fakes.scripts import Reply
from tests.server.conftest import sse_events


@pytest.fixture
def fake():
    with FakeOpenAIServer() as server:
        yield server


def chat_only(hearth, **body) -> dict:
    session = hearth.new_session(**body)
    answer = hearth.client.patch(f"/api/sessions/{session['id']}", json={"tools_enabled": False})
    assert answer.status_code == 200, answer.text
    return session


def turn(hearth, session_id: str, content: str) -> list:
    events = hearth.events(hearth.start_run(session_id, content))
    assert events[-1].type == "run.completed", events[-1].data
    return events


def sent_text(request_json: dict) -> str:
    return json.dumps(request_json["messages"])


def test_compact_now_summarises_all_but_the_last_turn(fake, start_server):
    hearth = start_server(fake=fake)
    session = chat_only(hearth)
    for n in range(3):
        turn(hearth, session["id"], f"question {n} about otters")
    assert hearth.session(session["id"])["context"]["used_tokens"] > 0

    fake.reply(text="The user asked two questions about otters.")
    answer = hearth.client.post(f"/api/sessions/{session['id']}/compact")
    assert answer.status_code == 202, answer.text
    events = hearth.events(answer.json()["run_id"])
    assert events[-1].type == "run.completed"
    asked = fake.last_body
    assert "question 0 about otters" in sent_text(asked)  # what it summarised
    assert "compress conversations" in asked["messages"][0]["content"] + sent_text(asked)

    shown = hearth.session(session["id"])["messages"]
    summary = shown[-1]
    assert summary["role"] == "summary" and summary["status"] == "complete"
    assert summary["content"] == "The user asked two questions about otters."
    assert summary["covers_id"] == shown[3]["id"]  # the answer to question 1

    turn(hearth, session["id"], "and one more")
    request = fake.last_body
    assert "two questions about otters" in request["messages"][0]["content"]  # system
    assert "question 0" not in sent_text(request) and "question 2" in sent_text(request)
    # the originals are all still there and searchable
    assert len([m for m in hearth.session(session["id"])["messages"] if m["role"] == "user"]) == 4
    found = hearth.client.get("/api/sessions", params={"q": "otters"}).json()["sessions"]
    assert [s["id"] for s in found] == [session["id"]]


def test_compact_now_with_nothing_to_compact_says_so(fake, start_server):
    hearth = start_server(fake=fake)
    session = chat_only(hearth)
    turn(hearth, session["id"], "only one question")
    answer = hearth.client.post(f"/api/sessions/{session['id']}/compact")
    assert answer.status_code == 400
    assert "nothing to compact" in answer.json()["error"]["message"]


def test_a_too_long_answer_from_the_provider_compacts_and_retries_once(fake, start_server):
    hearth = start_server(fake=fake)
    # Hearth believes the window is large; the server enforces a small one.
    hearth.client.patch("/api/settings", json={"context_windows": {"fake-model": 200_000}})
    session = chat_only(hearth)
    for n in range(6):
        turn(hearth, session["id"], f"story {n}: " + "the heron waited by the river. " * 60)
    fake.window_tokens = 2_500
    fake.responder = lambda request: Reply(
        text="Summary: six heron stories."
        if "compress conversations" in json.dumps(request)
        else "Here is the answer."
    )
    events = turn(hearth, session["id"], "what happened to the heron?")
    assert any(e.type == "context.compacted" for e in events)
    assert fake.counted[0] > 2_500 and fake.counted[-1] <= 2_500
    shown = hearth.session(session["id"])["messages"]
    assert [m["role"] for m in shown[-3:]] == ["user", "summary", "assistant"]
    assert shown[-1]["content"] == "Here is the answer."


def test_a_request_still_too_long_after_compacting_says_what_to_do(fake, start_server):
    hearth = start_server(fake=fake)
    session = chat_only(hearth)
    turn(hearth, session["id"], "hello")
    fake.window_tokens = 100
    run_id = hearth.start_run(session["id"], "a long question " * 100)
    events = hearth.events(run_id)
    assert events[-1].type == "run.failed"
    message = events[-1].data["error"]
    assert "too long" in message and "larger context window" in message
    assert "Shorten the message" in message


def test_sigkill_during_compaction_leaves_the_session_usable(fake, start_server, tmp_path):
    hearth = start_server(fake=fake)
    session = chat_only(hearth)
    for n in range(3):
        turn(hearth, session["id"], f"question {n} about badgers")
    hold = threading.Event()
    held = fake.reply(text="A summary that never ends", chunks=5, hold=hold, hold_after=2)
    answer = hearth.client.post(f"/api/sessions/{session['id']}/compact")
    run_id = answer.json()["run_id"]
    stream = sse_events(hearth.client, run_id, timeout=30)
    for event in stream:
        if event.type == "text.delta":
            break
    assert held.stalled.wait(10)
    hearth.process.kill()
    hearth.process.wait(10)
    stream.close()
    hold.set()

    again = start_server(tmp_path / "data", fake=fake)
    shown = again.session(session["id"])
    summary = shown["messages"][-1]
    assert summary["role"] == "summary" and summary["status"] == "interrupted"
    assert shown["active_run"] is None
    assert again.client.get(f"/api/runs/{run_id}").json()["status"] == "interrupted"
    turn(again, session["id"], "still there?")
    request = fake.last_body
    assert "question 0 about badgers" in sent_text(request)  # nothing was cut
    assert "never ends" not in json.dumps(request)
    # and compacting again works
    fake.reply(text="Badgers, three times.")
    answer = again.client.post(f"/api/sessions/{session['id']}/compact")
    assert again.events(answer.json()["run_id"])[-1].type == "run.completed"
    assert again.session(session["id"])["messages"][-1]["status"] == "complete"


def test_an_answer_after_an_automatic_summary_can_be_regenerated(fake, start_server):
    hearth = start_server(fake=fake)
    hearth.client.patch("/api/settings", json={"context_windows": {"fake-model": 1_200}})
    session = chat_only(hearth)
    for n in range(6):
        turn(hearth, session["id"], f"tale {n}: " + "the fox crossed the snow. " * 40)
    shown = hearth.session(session["id"])["messages"]
    at = next(i for i, m in enumerate(shown) if m["role"] == "summary")
    assert shown[at - 1]["role"] == "user" and shown[at + 1]["role"] == "assistant"
    answer = hearth.client.post(
        f"/api/sessions/{session['id']}/runs", json={"regenerate": shown[at + 1]["id"]}
    )
    assert answer.status_code == 202, answer.text
    assert hearth.events(answer.json()["run_id"])[-1].type == "run.completed"
    again = hearth.session(session["id"])["messages"]
    assert again[-1]["role"] == "assistant" and again[-1]["version"]["count"] == 2
