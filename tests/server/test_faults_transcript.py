"""A transcript left inconsistent by a crash is repaired when it is sent to a model, so the next
turn always works, on both wire formats (the fakes refuse such histories as the real APIs do).
The store keeps what it holds: the repair is in what is sent, never a rewrite."""

from __future__ import annotations

import json

import pytest

from core.store import Store, records
from tests.fakes import FakeAnthropicServer, FakeOpenAIServer
from tests.server.faults_support import events_until_end, integrity

DEAD_OWNER = "999999:0.000:gone"  # no such process: the next start recovers its run


def call(call_id: str, name: str = "list_directory", arguments: str = "{}") -> dict:
    return {"id": call_id, "name": name, "arguments": arguments}


def asked(*calls: dict, content: str = "", status: str = "complete") -> dict:
    return {"role": "assistant", "content": content, "tool_calls": list(calls), "status": status}


def said(content: str, status: str = "complete") -> dict:
    return {"role": "assistant", "content": content, "status": status}


def result(call_id: str, content: str = "a.txt", name: str = "list_directory") -> dict:
    return {"role": "tool", "tool_call_id": call_id, "name": name, "content": content}


def user(content: str) -> dict:
    return {"role": "user", "content": content}


CASES = {
    "calls_without_results": [asked(call("c1"), call("c2"), content="Let me look.")],
    "result_without_call": [said("Done."), result("ghost")],
    "result_before_its_call": [result("c5"), asked(call("c5")), said("Nothing there.")],
    "two_answers_in_a_row": [said("First half."), said("Second half.")],
    "call_then_answer_in_a_row": [asked(call("c6")), said("I gave up on that.")],
    "empty_answer": [said("", status="error"), said("   ", status="interrupted")],
    "interrupted_with_calls": [
        asked(call("c3"), call("c4"), content="Checking", status="interrupted"),
        result("c3"),
    ],
    "two_users_in_a_row": [user("Hello?"), user("Anyone there?")],
    "duplicate_call_ids": [
        asked(call("dup")),
        result("dup"),
        said("One."),
        user("Again"),
        asked(call("dup")),
        result("dup"),
    ],
    "answered_twice": [asked(call("c7")), result("c7"), result("c7", "again")],
    "arguments_not_json": [asked(call("c8", arguments="{not json")), result("c8", "Error")],
    "dangling_run": "dangling",
}


def add_dangling_run(store: Store, session_id: str) -> None:
    """A run left live by a process that died mid-turn: its user message, a staged tool call
    whose result never came, and partial text."""
    store.append_message(session_id, user("Do the long thing"))
    staged = records.message(asked(call("c9"), content="Starting"))
    with store.db.write() as conn:
        when = records.message(user("x"))["created_at"]
        conn.execute(
            "INSERT INTO runs (id, session_id, status, started_at, updated_at, owner,"
            " partial_text) VALUES (?, ?, 'live', ?, ?, ?, ?)",
            ("d" * 32, session_id, when, when, DEAD_OWNER, "Half an ans"),
        )
        conn.execute(
            "INSERT INTO run_steps (run_id, idx, message) VALUES (?, 0, ?)",
            ("d" * 32, json.dumps(staged)),
        )


@pytest.mark.parametrize("wire", [FakeOpenAIServer, FakeAnthropicServer], ids=lambda w: w.wire)
def test_every_inconsistent_transcript_still_gets_an_answer(start_server, tmp_path, wire):
    with wire() as model:
        hearth = start_server(tmp_path / "data")
        added = hearth.client.post(
            "/api/providers",
            json={
                "name": "Wire",
                "kind": model.wire,
                "base_url": model.base_url,
                "default_model": "fake-model",
                "api_key": "sk-wire",
            },
        )
        assert added.status_code == 201, added.text
        spec = f"{added.json()['id']}/fake-model"
        sessions = {name: hearth.new_session(title=name, model=spec)["id"] for name in CASES}
        assert hearth.stop() == 0

        with Store(tmp_path / "data") as store:
            for name, messages in CASES.items():
                store.append_message(sessions[name], user("Start"))
                if messages == "dangling":
                    add_dangling_run(store, sessions[name])
                    continue
                for message in messages:
                    store.append_message(sessions[name], message)
            stored = {name: store.get_session(sid)["messages"] for name, sid in sessions.items()}

        again = start_server(tmp_path / "data")
        for name, session_id in sessions.items():
            before = again.session(session_id)
            assert before["active_run"] is None, name
            requests = len(model.model_requests)
            run_id = again.start_run(session_id, "Go on")
            end = events_until_end(again, run_id)[-1]
            assert end.type == "run.completed", (name, end.data)
            assert len(model.model_requests) == requests + 1, name
            sent = model.last_body["messages"]
            assert sent[-1]["role"] == "user" and "Go on" in json.dumps(sent[-1]), name
            after = again.session(session_id)["messages"]
            if name != "dangling_run":  # nothing the store held was rewritten
                kept = [(m["role"], m["content"]) for m in stored[name]]
                assert [(m["role"], m["content"]) for m in after[: len(kept)]] == kept, name
            assert after[-1]["content"] == "Hello from the fake model.", name

        dangling = again.session(sessions["dangling_run"])["messages"]
        assert [(m["role"], m["status"]) for m in dangling[:4]] == [
            ("user", "complete"),
            ("user", "complete"),
            ("assistant", "complete"),
            ("assistant", "interrupted"),
        ]
        assert dangling[3]["content"] == "Half an ans"
        again.stop()
        assert integrity(tmp_path / "data") == "ok"
