"""Runs over HTTP: streaming, the terminal event, resume, 409, cancel, concurrency."""

from __future__ import annotations

import threading
import time

from tests.fakes.scripts import split
from tests.server.conftest import sse_events, text_of, wait_for

ANSWER = "The quick brown fox jumps over the lazy dog. " * 4


def test_a_run_streams_then_stores_its_answer(server, fake):
    session = server.new_session()
    fake.reply(text=ANSWER, chunks=40, delay=0.005)
    answer = server.client.post(f"/api/sessions/{session['id']}/runs", json={"content": "Fox?"})
    assert answer.status_code == 202
    run_id = answer.json()["run_id"]
    assert answer.json()["session_id"] == session["id"]
    # The user's message is stored before the answer comes back.
    stored = server.session(session["id"])
    assert stored["messages"][0]["role"] == "user" and stored["messages"][0]["content"] == "Fox?"

    seen = []
    for event in sse_events(server.client, run_id):
        seen.append(event)
        if event.type == "run.completed":
            # The terminal event comes only once the messages are stored and the run is over.
            at_end = server.session(session["id"])
            assert at_end["active_run"] is None
            assert at_end["messages"][-1]["content"] == ANSWER
    assert [e.id for e in seen] == list(range(1, len(seen) + 1))
    assert seen[0].type == "run.started" and seen[-1].type == "run.completed"
    assert text_of(seen) == ANSWER
    assert any(e.type == "usage" for e in seen)
    final = server.session(session["id"])
    assert [m["role"] for m in final["messages"]] == ["user", "assistant"]
    assert final["messages"][1]["status"] == "complete"
    run = server.client.get(f"/api/runs/{run_id}").json()
    assert run["id"] == run_id and run["session_id"] == session["id"]
    assert run["status"] == "completed"


def test_the_next_run_can_start_right_after_the_terminal_event(server, fake):
    session = server.new_session()
    for turn in range(3):
        fake.reply(text=f"answer {turn}")
        run_id = server.start_run(session["id"], f"question {turn}")
        events = server.events(run_id)
        assert events[-1].type == "run.completed"
    roles = [m["role"] for m in server.session(session["id"])["messages"]]
    assert roles == ["user", "assistant"] * 3


def test_second_run_in_a_session_is_409_while_the_first_is_live(server, fake):
    session = server.new_session()
    hold = threading.Event()
    reply = fake.reply(text="waiting...", chunks=2, hold=hold)
    run_id = server.start_run(session["id"])
    assert reply.stalled.wait(10)
    busy = server.client.post(f"/api/sessions/{session['id']}/runs", json={"content": "again"})
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "conflict"
    live = server.session(session["id"])["active_run"]
    assert live["id"] == run_id and live["status"] == "live" and live["started_at"]
    assert server.client.delete(f"/api/sessions/{session['id']}").status_code == 409
    hold.set()
    assert server.events(run_id)[-1].type == "run.completed"
    assert server.session(session["id"])["active_run"] is None


def test_cancel_ends_the_run_within_a_second_and_keeps_the_text(server, fake):
    session = server.new_session()
    hold = threading.Event()
    text = "partial answer that never ends"
    reply = fake.reply(text=text, chunks=4, hold=hold, hold_after=2)
    sent = "".join(split(text, 4)[:2])
    run_id = server.start_run(session["id"])
    assert reply.stalled.wait(10)
    received = []
    stream = sse_events(server.client, run_id)
    for event in stream:
        received.append(event)
        if text_of(received) == sent:  # two of four chunks
            break
    asked = time.monotonic()
    answer = server.client.post(f"/api/runs/{run_id}/cancel")
    assert answer.status_code == 202
    for event in stream:
        received.append(event)
    assert received[-1].type == "run.cancelled"
    assert received[-1].received - asked < 1.0
    message = server.session(session["id"])["messages"][-1]
    assert message["role"] == "assistant" and message["status"] == "cancelled"
    assert message["content"] == sent
    assert server.client.post(f"/api/runs/{run_id}/cancel").status_code == 202  # idempotent
    hold.set()


def test_resume_after_the_client_drops_loses_and_repeats_nothing(server, fake):
    session = server.new_session()
    fake.reply(text=ANSWER, chunks=60, delay=0.01)
    run_id = server.start_run(session["id"])
    got = []
    for use_header in (True, False, True):
        after = got[-1].id if got else None
        for event in sse_events(server.client, run_id, after, header=use_header, limit=4):
            got.append(event)
        if got[-1].type == "run.completed":
            break
    got += server.events(run_id, got[-1].id) if got[-1].type != "run.completed" else []
    assert [e.id for e in got] == list(range(1, len(got) + 1))
    assert got[-1].type == "run.completed" and text_of(got) == ANSWER

    # The whole log replays after the end, and from any point in it.
    replay = server.events(run_id)
    assert [(e.id, e.type, e.data) for e in replay] == [(e.id, e.type, e.data) for e in got]
    tail = server.events(run_id, 3, header=False)
    assert [e.id for e in tail] == list(range(4, len(got) + 1))
    assert server.events(run_id, len(got) + 5) == []  # nothing after the end


def test_bad_last_event_id_is_400(server, fake):
    session = server.new_session()
    run_id = server.start_run(session["id"])
    answer = server.client.get(f"/api/runs/{run_id}/events", headers={"Last-Event-ID": "x"})
    assert answer.status_code == 400
    server.events(run_id)


def test_two_sessions_stream_at_once(server, fake):
    first, second = server.new_session(), server.new_session()
    texts = {"one " * 30, "two " * 30}
    for text in texts:
        fake.reply(text=text, chunks=30, delay=0.01)
    runs = [server.start_run(first["id"]), server.start_run(second["id"])]
    results: dict[str, list] = {}

    def read(run_id: str) -> None:
        results[run_id] = server.events(run_id)

    threads = [threading.Thread(target=read, args=(r,)) for r in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert {text_of(results[r]) for r in runs} == texts
    # Both streamed at the same time: each had text before the other ended.
    ends = [results[r][-1].received for r in runs]
    firsts = [next(e for e in results[r] if e.type == "text.delta").received for r in runs]
    assert max(firsts) < min(ends)


def test_fast_deltas_are_coalesced(server, fake):
    session = server.new_session()
    text = "".join(f"w{i} " for i in range(600))
    fake.reply(text=text, chunks=600, delay=0.001)
    started = time.monotonic()
    events = server.events(server.start_run(session["id"]))
    elapsed = time.monotonic() - started
    deltas = [e for e in events if e.type == "text.delta"]
    assert text_of(events) == text
    assert len(deltas) <= 30 * elapsed + 3, (len(deltas), elapsed)


def test_provider_failure_ends_the_run_failed(server, fake):
    session = server.new_session()
    fake.error(status=401, message="Incorrect API key provided")
    events = server.events(server.start_run(session["id"]))
    assert events[-1].type == "run.failed" and events[-1].data["error"]
    assert "Traceback" not in events[-1].data["error"]
    message = server.session(session["id"])["messages"][-1]
    assert message["status"] == "error"
    assert server.session(session["id"])["active_run"] is None


def test_run_state_after_the_log_is_gone(server, fake):
    session = server.new_session()
    run_id = server.start_run(session["id"])
    assert server.events(run_id)[-1].type == "run.completed"
    wait_for(lambda: server.client.get(f"/api/runs/{run_id}").json()["status"] == "completed")


def test_edit_adds_a_version_beside_the_old_question_and_keeps_its_answer(server, fake):
    session = server.new_session()
    for turn in range(2):
        fake.reply(text=f"answer {turn}")
        server.events(server.start_run(session["id"], f"question {turn}"))
    messages = server.session(session["id"])["messages"]
    last_question = messages[2]
    fake.reply(text="a better answer")
    run_id = server.start_run(session["id"], "question 1, edited", edit=last_question["id"])
    assert server.events(run_id)[-1].type == "run.completed"
    after = server.session(session["id"])["messages"]
    assert [m["content"] for m in after] == [
        "question 0",
        "answer 0",
        "question 1, edited",
        "a better answer",
    ]
    assert [m["id"] for m in after[:2]] == [m["id"] for m in messages[:2]]
    assert after[2]["version"].items() >= {"index": 2, "count": 2}.items()
    found = server.client.get("/api/sessions", params={"q": "answer"}).json()["sessions"]
    assert found  # the old answer is kept, in the other branch


def test_edit_of_a_message_of_another_session_is_404_and_changes_nothing(server, fake):
    mine, other = server.new_session(), server.new_session()
    fake.reply(text="hello")
    server.events(server.start_run(other["id"], "other question"))
    foreign = server.session(other["id"])["messages"][0]["id"]
    answer = server.client.post(
        f"/api/sessions/{mine['id']}/runs", json={"content": "x", "edit": foreign}
    )
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    assert server.session(mine["id"])["messages"] == []
    assert len(server.session(other["id"])["messages"]) == 2


def test_session_list_shows_which_sessions_are_running(server, fake):
    session = server.new_session()
    hold = threading.Event()
    fake.reply(text="slow answer", chunks=2, hold=hold)
    run_id = server.start_run(session["id"])
    listed = server.client.get("/api/sessions").json()["sessions"]
    mine = next(s for s in listed if s["id"] == session["id"])
    assert mine["active_run"]["id"] == run_id
    hold.set()
    server.events(run_id)
    listed = server.client.get("/api/sessions").json()["sessions"]
    assert next(s for s in listed if s["id"] == session["id"])["active_run"] is None
