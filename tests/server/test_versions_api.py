"""Versions, continue and fork through a real ``hearth serve`` and fake model servers: edit and
regenerate add versions beside the old ones, switching shows a branch down to its newest leaf,
fork copies a path into a new chat, Continue extends a cut-off answer in place (on both wire
formats, and with a server that starts over), and nothing is ever deleted."""

from __future__ import annotations

import sqlite3
import threading

from core.paths import Paths
from tests.fakes import FakeAnthropicServer
from tests.server.conftest import sse_events, text_of, wait_for

PARTIAL = "Once upon a "  # the first of two chunks of "Once upon a time, there"


def turn(server, fake, session_id: str, question: str, answer: str) -> None:
    fake.reply(text=answer)
    events = server.events(server.start_run(session_id, question))
    assert events[-1].type == "run.completed", events[-1]


def contents(session: dict) -> list[str]:
    return [m["content"] for m in session["messages"]]


def post(server, path: str, body: dict):
    return server.client.post(path, json=body)


def run_body(server, session_id: str, body: dict) -> list:
    answer = post(server, f"/api/sessions/{session_id}/runs", body)
    assert answer.status_code == 202, answer.text
    return server.events(answer.json()["run_id"])


def cut_off_answer(server, fake, session_id: str, question: str = "Tell me a story") -> dict:
    """A run stopped after its first chunk of text: its answer is kept, cancelled."""
    hold = threading.Event()
    fake.reply(text="Once upon a time, there", chunks=2, hold=hold, hold_after=1)
    run_id = server.start_run(session_id, question)
    for event in sse_events(server.client, run_id):
        if event.type == "text.delta":
            assert post(server, f"/api/runs/{run_id}/cancel", {}).status_code == 202
        if event.type.startswith("run.") and event.type != "run.started":
            assert event.type == "run.cancelled"
            break
    hold.set()
    last = server.session(session_id)["messages"][-1]
    assert (last["content"], last["status"]) == (PARTIAL, "cancelled")
    return last


def test_edit_and_regenerate_add_versions_and_switching_shows_each_branch(server, fake):
    session = server.new_session()
    sid = session["id"]
    turn(server, fake, sid, "q0", "a0")
    turn(server, fake, sid, "q1", "a1")
    q0, a0, q1, a1 = server.session(sid)["messages"]
    assert q0["parent_id"] is None and a0["parent_id"] == q0["id"] and a1["parent_id"] == q1["id"]
    assert all(m["version"].items() >= {"index": 1, "count": 1}.items() for m in (q0, a0, q1, a1))

    fake.reply(text="a0, second")
    assert run_body(server, sid, {"edit": q0["id"], "content": "q0 edited"})[-1].type == (
        "run.completed"
    )
    shown = server.session(sid)
    assert contents(shown) == ["q0 edited", "a0, second"]
    assert shown["messages"][0]["version"].items() >= {"index": 2, "count": 2}.items()
    assert shown["messages"][0]["parent_id"] is None
    assert shown["messages"][0]["version"]["previous_id"] == q0["id"]  # what < switches to
    assert shown["messages"][0]["version"]["next_id"] is None

    fake.reply(text="a0, third")
    second = shown["messages"][1]
    assert run_body(server, sid, {"regenerate": second["id"]})[-1].type == "run.completed"
    sent = fake.last_body["messages"]
    assert sent[-1] == {"role": "user", "content": "q0 edited"}  # the history ends at the question
    shown = server.session(sid)
    assert contents(shown) == ["q0 edited", "a0, third"]
    assert shown["messages"][1]["version"].items() >= {"index": 2, "count": 2}.items()
    assert shown["messages"][1]["parent_id"] == shown["messages"][0]["id"]
    assert shown["message_count"] == 7  # nothing was deleted

    old = post(server, f"/api/sessions/{sid}/path", {"message_id": q0["id"]})
    assert old.status_code == 200, old.text
    assert contents(old.json()) == ["q0", "a0", "q1", "a1"]  # down to its newest leaf
    assert old.json()["messages"][0]["version"].items() >= {"index": 1, "count": 2}.items()
    assert contents(server.session(sid)) == ["q0", "a0", "q1", "a1"]  # and it stays shown

    newest = post(server, f"/api/sessions/{sid}/path", {"message_id": shown["messages"][0]["id"]})
    assert contents(newest.json()) == ["q0 edited", "a0, third"]  # the newest answer under it
    back = post(server, f"/api/sessions/{sid}/path", {"message_id": second["id"]})
    assert contents(back.json()) == ["q0 edited", "a0, second"]
    assert back.json()["messages"][1]["version"].items() >= {"index": 1, "count": 2}.items()

    # A new turn goes at the end of the branch shown.
    turn(server, fake, sid, "q1 on the second branch", "a1 there")
    assert contents(server.session(sid)) == [
        "q0 edited",
        "a0, second",
        "q1 on the second branch",
        "a1 there",
    ]
    found = server.client.get("/api/sessions", params={"q": "a1"}).json()["sessions"]
    assert sid in [s["id"] for s in found]


def test_fork_copies_the_shown_path_up_to_a_message_into_a_new_chat(server, fake):
    sid = server.new_session(title="Trip plans")["id"]
    turn(server, fake, sid, "Where to?", "Lisbon.")
    turn(server, fake, sid, "When?", "In May.")
    before = server.session(sid)
    question, answer = before["messages"][:2]

    forked = post(server, f"/api/sessions/{sid}/fork", {"message_id": answer["id"]})
    assert forked.status_code == 201, forked.text
    fork = forked.json()
    assert fork["id"] != sid and fork["title"] == "Trip plans (fork)"
    assert contents(fork) == ["Where to?", "Lisbon."]
    copies = fork["messages"]
    assert [m["created_at"] for m in copies] == [question["created_at"], answer["created_at"]]
    assert {m["id"] for m in copies}.isdisjoint({question["id"], answer["id"]})
    assert copies[0]["parent_id"] is None and copies[1]["parent_id"] == copies[0]["id"]
    assert server.session(sid)["messages"] == before["messages"]  # the original is untouched

    turn(server, fake, fork["id"], "What about Porto?", "Also lovely.")
    assert contents(server.session(fork["id"]))[-1] == "Also lovely."
    assert contents(server.session(sid)) == contents(before)
    listed = [s["id"] for s in server.client.get("/api/sessions").json()["sessions"]]
    assert fork["id"] in listed


def test_continue_appends_to_the_cut_off_answer_as_one_message(server, fake):
    sid = server.new_session()["id"]
    kept = cut_off_answer(server, fake, sid)
    count = server.session(sid)["message_count"]

    fake.reply(text="time, there was a dragon.", chunks=3)
    events = run_body(server, sid, {"continue": kept["id"]})
    assert events[-1].type == "run.completed"
    assert text_of(events) == " time, there was a dragon."  # the kept space, put back
    sent = fake.last_body["messages"]
    assert sent[-1] == {"role": "assistant", "content": "Once upon a"}  # no trailing space
    assert sent[-2] == {"role": "user", "content": "Tell me a story"}

    session = server.session(sid)
    last = session["messages"][-1]
    assert last["id"] == kept["id"]
    assert last["content"] == "Once upon a time, there was a dragon."
    assert last["status"] == "complete"
    assert session["message_count"] == count  # no user message, no second answer


def test_continue_puts_the_kept_space_back_when_the_new_text_has_none(server, fake):
    sid = server.new_session()["id"]
    kept = cut_off_answer(server, fake, sid)
    fake.reply(text="long time ago.")
    run_body(server, sid, {"continue": kept["id"]})
    assert server.session(sid)["messages"][-1]["content"] == "Once upon a long time ago."


def test_continue_with_a_server_that_starts_the_answer_over(server, fake):
    sid = server.new_session()["id"]
    kept = cut_off_answer(server, fake, sid)
    fake.reply(text="Once upon a time, there was a dragon.", chunks=9)  # repeats the opening
    events = run_body(server, sid, {"continue": kept["id"]})
    assert text_of(events) == " time, there was a dragon."  # the kept space, put back
    assert server.session(sid)["messages"][-1]["content"] == "Once upon a time, there was a dragon."


def test_continue_that_only_starts_like_the_kept_text_is_appended_whole(server, fake):
    sid = server.new_session()["id"]
    kept = cut_off_answer(server, fake, sid)
    fake.reply(text="Once more, with feeling.", chunks=6)  # "Once " matches, then it differs
    run_body(server, sid, {"continue": kept["id"]})
    content = server.session(sid)["messages"][-1]["content"]
    assert content == "Once upon a Once more, with feeling."


def test_continue_and_edit_on_the_anthropic_wire(server, fake):
    with FakeAnthropicServer() as claude:
        added = post(
            server,
            "/api/providers",
            {"name": "Claude", "kind": "anthropic", "base_url": claude.base_url, "api_key": "k"},
        )
        assert added.status_code == 201, added.text
        model = f"{added.json()['id']}/fake-model"
        sid = server.new_session(model=model)["id"]
        kept = cut_off_answer(server, claude, sid)

        claude.reply(text=" time, there was a dragon.")
        events = run_body(server, sid, {"continue": kept["id"]})
        assert events[-1].type == "run.completed", events[-1]
        final = claude.last_body["messages"][-1]
        assert final == {"role": "assistant", "content": [{"type": "text", "text": "Once upon a"}]}
        assert server.session(sid)["messages"][-1]["content"] == (
            "Once upon a time, there was a dragon."
        )

        kept = cut_off_answer(server, claude, sid, "Another story")
        claude.reply(text="Once upon a time, a cat.", chunks=4)
        run_body(server, sid, {"continue": kept["id"]})
        assert server.session(sid)["messages"][-1]["content"] == "Once upon a time, a cat."
        server.client.delete(f"/api/providers/{added.json()['id']}")


def test_wrong_version_requests_are_refused_with_a_sentence_and_change_nothing(server, fake):
    sid = server.new_session()["id"]
    turn(server, fake, sid, "q0", "a0")
    q0, a0 = server.session(sid)["messages"]
    other = server.new_session()["id"]
    turn(server, fake, other, "elsewhere", "there")
    foreign = server.session(other)["messages"][0]["id"]
    runs = f"/api/sessions/{sid}/runs"
    cases = [
        (runs, {"continue": a0["id"]}, 400),  # complete: nothing to continue
        (runs, {"continue": q0["id"]}, 400),  # a question
        (runs, {"regenerate": q0["id"]}, 400),  # a question
        (runs, {"edit": a0["id"], "content": "x"}, 400),  # an answer
        (runs, {"edit": q0["id"]}, 400),  # no content
        (runs, {"regenerate": a0["id"], "content": "x"}, 400),
        (runs, {"edit": q0["id"], "regenerate": a0["id"], "content": "x"}, 400),
        (runs, {"edit": foreign, "content": "x"}, 404),
        (runs, {"regenerate": "no-such-message"}, 404),
        (runs, {"continue": 5}, 400),
        (f"/api/sessions/{sid}/path", {"message_id": foreign}, 404),
        (f"/api/sessions/{sid}/path", {}, 400),
        (f"/api/sessions/{sid}/fork", {"message_id": "../../etc"}, 400),
        (f"/api/sessions/{sid}/fork", {"message_id": foreign}, 404),
        ("/api/sessions/no-such-session/fork", {"message_id": q0["id"]}, 404),
    ]
    for path, body, status in cases:
        answer = post(server, path, body)
        assert answer.status_code == status, (body, answer.text)
        error = answer.json()["error"]
        assert error["code"] and error["message"].endswith("."), error
    session = server.session(sid)
    assert contents(session) == ["q0", "a0"] and session["message_count"] == 2
    assert len(server.client.get("/api/sessions").json()["sessions"]) >= 2


def test_continue_only_the_last_message_and_nothing_switches_during_a_run(server, fake):
    sid = server.new_session()["id"]
    kept = cut_off_answer(server, fake, sid)
    turn(server, fake, sid, "next question", "next answer")
    late = post(server, f"/api/sessions/{sid}/runs", {"continue": kept["id"]})
    assert late.status_code == 409 and "last message" in late.json()["error"]["message"]

    hold = threading.Event()
    fake.reply(text="slow", hold=hold)
    run_id = server.start_run(sid, "one more")
    try:
        busy = post(server, f"/api/sessions/{sid}/path", {"message_id": kept["id"]})
        assert busy.status_code == 409, busy.text
        forked = post(server, f"/api/sessions/{sid}/fork", {"message_id": kept["id"]})
        assert forked.status_code == 201  # reading the stored path is fine meanwhile
    finally:
        hold.set()
    assert server.events(run_id)[-1].type == "run.completed"


def test_a_continue_killed_mid_stream_keeps_the_whole_answer_in_the_same_message(
    start_server, fake
):
    hearth = start_server()
    sid = hearth.new_session()["id"]
    kept = cut_off_answer(hearth, fake, sid)
    hold = threading.Event()
    fake.reply(text="time, there was a dragon. The end.", chunks=2, hold=hold, hold_after=1)
    started = post(hearth, f"/api/sessions/{sid}/runs", {"continue": kept["id"]})
    run_id = started.json()["run_id"]
    database = Paths.resolve(hearth.data_dir).database

    def checkpointed() -> str:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT partial_text FROM runs WHERE id = ?", (run_id,)).fetchone()
        return row[0] if row and "there was" in row[0] else ""

    assert wait_for(checkpointed) == "Once upon a time, there was a"  # the whole text so far
    hearth.kill()
    hold.set()
    again = start_server(hearth.data_dir)
    session = again.session(sid)
    last = session["messages"][-1]
    assert last["id"] == kept["id"] and last["status"] == "interrupted"
    assert last["content"] == "Once upon a time, there was a"
    assert [m["role"] for m in session["messages"]] == ["user", "assistant"]
