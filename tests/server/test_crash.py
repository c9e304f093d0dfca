"""SIGKILL ``hearth serve`` mid-turn, start it again on the same data dir, and check
CONTRACT.md's durability promise to the second against what the client had received."""

from __future__ import annotations

import threading
import time

from tests.server.conftest import SSEEvent, sse_events, text_of

GRACE = 1.0  # the contract: everything older than a second before the kill is kept
SLACK = 0.25  # scheduling tolerance on a busy two-core machine


def watch(hearth, run_id: str, until) -> tuple[list[SSEEvent], float]:
    """Read events until ``until(events)``; then SIGKILL the server. Returns (events, kill time)."""
    events: list[SSEEvent] = []
    stream = sse_events(hearth.client, run_id, timeout=30)
    for event in stream:
        events.append(event)
        if until(events):
            break
    killed_at = time.monotonic()
    hearth.process.kill()
    hearth.process.wait(10)
    stream.close()
    return events, killed_at


def before(events: list[SSEEvent], moment: float) -> list[SSEEvent]:
    return [e for e in events if e.received <= moment]


def test_sigkill_during_a_streamed_answer(start_server, fake, tmp_path):
    data = tmp_path / "data"
    hearth = start_server(data)
    bystander = hearth.new_session(title="untouched")
    fake.reply(text="Earlier answer.")
    assert hearth.events(hearth.start_run(bystander["id"], "earlier"))[-1].type == "run.completed"
    bystander_before = hearth.session(bystander["id"])

    session = hearth.new_session(title="crash me")
    answer = "".join(f"word{i:03d} " for i in range(200))
    fake.reply(text=answer, chunks=200, delay=0.05)  # 20 chunks a second, ~10 s in all
    run_id = hearth.start_run(session["id"], "Count for me")
    t0 = time.monotonic()
    events, killed_at = watch(hearth, run_id, lambda _: time.monotonic() - t0 > 3.3)

    again = start_server(data)
    stored = again.session(session["id"])
    assert stored["active_run"] is None
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"]
    assert stored["messages"][0]["content"] == "Count for me"
    kept = stored["messages"][1]
    assert kept["status"] == "interrupted"
    received = text_of(events)
    must_keep = text_of(before(events, killed_at - GRACE - SLACK))
    assert answer.startswith(kept["content"])
    assert kept["content"].startswith(must_keep), (len(kept["content"]), len(must_keep))
    assert len(must_keep) > 0 and len(received) > len(must_keep)
    assert again.client.get(f"/api/runs/{run_id}").json()["status"] == "interrupted"
    assert again.session(bystander["id"]) == bystander_before
    fake.wait_idle(5)


def test_sigkill_during_a_turn_with_several_tool_calls(start_server, fake, tmp_path):
    data = tmp_path / "data"
    workspace = tmp_path / "ws"
    workspace.mkdir()
    for i in range(6):
        (workspace / f"f{i}.txt").write_text(f"content of file {i}\n")
    hearth = start_server(data)
    session = hearth.new_session(workspace=str(workspace))
    for i in range(6):
        fake.reply(
            text=f"Reading f{i}. ",
            chunks=3,
            delay=0.12,
            tool_calls=[
                {"id": f"call_{i}", "name": "read_file", "arguments": {"path": f"f{i}.txt"}}
            ],
        )
    fake.reply(text="done " * 100, chunks=100, delay=0.05)
    run_id = hearth.start_run(session["id"], "Read every file")

    def enough(events: list[SSEEvent]) -> bool:
        return sum(e.type == "tool.completed" for e in events) >= 4 and (
            time.monotonic()
            - next(e.received for e in reversed(events) if e.type == "tool.completed")
            > 1.4
        )

    events, killed_at = watch(hearth, run_id, enough)

    again = start_server(data)
    stored = again.session(session["id"])
    assert stored["active_run"] is None
    messages = stored["messages"]
    assert messages[0]["role"] == "user" and messages[-1]["status"] == "interrupted"
    old_enough = before(events, killed_at - GRACE - SLACK)
    done_calls = [e.data["call_id"] for e in old_enough if e.type == "tool.completed"]
    assert len(done_calls) >= 4
    kept_results = {m["tool_call_id"]: m for m in messages if m["role"] == "tool"}
    kept_calls = [
        c["id"] for m in messages if m["role"] == "assistant" for c in m.get("tool_calls") or []
    ]
    for call_id in done_calls:
        assert call_id in kept_calls and call_id in kept_results
        index = int(call_id.split("_")[1])
        assert f"content of file {index}" in kept_results[call_id]["content"]
    # Kept steps are in order and every kept call has its result right after.
    roles = [m["role"] for m in messages[1:-1]]
    assert roles == ["assistant", "tool"] * (len(roles) // 2)
    fake.wait_idle(5)


def test_kill_then_restart_many_times_keeps_every_finished_run(start_server, fake, tmp_path):
    data = tmp_path / "data"
    hearth = start_server(data)
    session = hearth.new_session()
    hold = threading.Event()
    reply = fake.reply(text="stuck", chunks=1, hold=hold, hold_before_headers=True)
    hearth.start_run(session["id"], "first")
    assert reply.stalled.wait(10)
    hearth.process.kill()
    hearth.process.wait(10)
    hold.set()
    again = start_server(data)
    stored = again.session(session["id"])
    assert stored["active_run"] is None
    assert [m["status"] for m in stored["messages"]] == ["complete", "interrupted"]
    # The session is usable at once after recovery.
    fake.reply(text="fine now")
    run_id = again.start_run(session["id"], "second")
    assert again.events(run_id)[-1].type == "run.completed"
    assert again.session(session["id"])["messages"][-1]["content"] == "fine now"
