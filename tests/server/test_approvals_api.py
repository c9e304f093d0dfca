"""The approval flow over HTTP, with the real agent and the fake model."""

from __future__ import annotations

import time

from tests.server.conftest import sse_events


def write_call(name: str = "note.txt", content: str = "hello") -> dict:
    return {"id": "call_w", "name": "write_file", "arguments": {"path": name, "content": content}}


def approval_of(stream) -> tuple[list, dict]:
    seen = []
    for event in stream:
        seen.append(event)
        if event.type == "approval.requested":
            return seen, event.data
    raise AssertionError(f"no approval.requested in {[e.type for e in seen]}")


def test_allow_runs_the_tool(server, fake, tmp_path):
    workspace = tmp_path / "allow"
    workspace.mkdir()
    session = server.new_session(workspace=str(workspace))
    fake.reply(tool_calls=[write_call()])
    fake.reply(text="Written.")
    run_id = server.start_run(session["id"], "write a note")
    stream = sse_events(server.client, run_id)
    seen, approval = approval_of(stream)
    assert approval["tool"] == "write_file" and approval["arguments"]["path"] == "note.txt"
    pending = server.client.get("/api/approvals", params={"session_id": session["id"]}).json()
    assert [a["approval_id"] for a in pending["approvals"]] == [approval["approval_id"]]
    assert not (workspace / "note.txt").exists()
    answer = server.client.post(
        f"/api/approvals/{approval['approval_id']}", json={"decision": "allow"}
    )
    assert answer.status_code == 200
    seen += list(stream)
    completed = [e for e in seen if e.type == "tool.completed"]
    assert completed and completed[0].data["ok"] is True
    assert seen[-1].type == "run.completed"
    assert (workspace / "note.txt").read_text() == "hello"
    again = server.client.post(
        f"/api/approvals/{approval['approval_id']}", json={"decision": "allow"}
    )
    assert again.status_code == 404


def test_deny_does_nothing(server, fake, tmp_path):
    workspace = tmp_path / "deny"
    workspace.mkdir()
    session = server.new_session(workspace=str(workspace))
    fake.reply(tool_calls=[write_call()])
    fake.reply(text="Understood.")
    run_id = server.start_run(session["id"], "write a note")
    stream = sse_events(server.client, run_id)
    _, approval = approval_of(stream)
    assert (
        server.client.post(
            f"/api/approvals/{approval['approval_id']}", json={"decision": "deny"}
        ).status_code
        == 200
    )
    rest = list(stream)
    assert [e.data["ok"] for e in rest if e.type == "tool.completed"] == [False]
    assert rest[-1].type == "run.completed" and not (workspace / "note.txt").exists()


def test_cancel_while_waiting_for_an_approval(server, fake, tmp_path):
    workspace = tmp_path / "cancel"
    workspace.mkdir()
    session = server.new_session(workspace=str(workspace))
    fake.reply(tool_calls=[write_call()])
    run_id = server.start_run(session["id"], "write a note")
    stream = sse_events(server.client, run_id)
    _, approval = approval_of(stream)
    asked = time.monotonic()
    assert server.client.post(f"/api/runs/{run_id}/cancel").status_code == 202
    rest = list(stream)
    assert rest[-1].type == "run.cancelled" and rest[-1].received - asked < 1.0
    assert server.client.get("/api/approvals").json()["approvals"] == [] or all(
        a["approval_id"] != approval["approval_id"]
        for a in server.client.get("/api/approvals").json()["approvals"]
    )
    late = server.client.post(
        f"/api/approvals/{approval['approval_id']}", json={"decision": "allow"}
    )
    assert late.status_code == 404 and not (workspace / "note.txt").exists()
    assert server.session(session["id"])["active_run"] is None
