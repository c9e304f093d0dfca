import sqlite3
import time

import pytest

from core.errors import Conflict, InvalidInput, NotFound
from core.store import Store
from tests.conftest import python


def snapshot(db_path):
    """Every row of every table (the search index's own tables included), by table."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    tables = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not r[0].endswith("_fts")  # the virtual tables; their shadow tables are read below
    ]
    out = {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"'))) for t in tables}
    conn.close()
    return out


def tool_step(n):
    return [
        {
            "role": "assistant",
            "content": f"step {n}",
            "tool_calls": [{"id": f"c{n}", "name": "list_directory", "arguments": "{}"}],
        },
        {"role": "tool", "tool_call_id": f"c{n}", "name": "list_directory", "content": "a.txt"},
    ]


def test_begin_run_stores_the_user_message_and_a_live_run_together(store):
    s = store.create_session()
    begun = store.begin_run(s["id"], "Plan my week, please", model="m")
    session = store.get_session(s["id"])
    assert session["messages"][0]["content"] == "Plan my week, please"
    assert session["active_run"]["id"] == begun["run"]["id"]
    assert session["active_run"]["status"] == "live"
    assert session["title"] == "Plan my week, please"
    assert begun["run"]["status"] == "live"
    with pytest.raises(Conflict):
        store.begin_run(s["id"], "again")
    assert len(store.get_session(s["id"])["messages"]) == 1


def test_auto_title_is_short_and_kept_when_set(store):
    s = store.create_session()
    store.finish_run(store.begin_run(s["id"], "word " * 40)["run"]["id"], "completed", "ok")
    title = store.get_session(s["id"])["title"]
    assert len(title) <= 61 and title.endswith("…")
    named = store.create_session(title="Mine")
    store.begin_run(named["id"], "hello")
    assert store.get_session(named["id"])["title"] == "Mine"


def test_checkpoint_touches_only_its_run_and_its_sessions_time(store):
    other = store.create_session(title="other")
    store.append_message(other["id"], {"role": "user", "content": "untouched words"})
    s = store.create_session(title="mine")
    run_id = store.begin_run(s["id"], "go")["run"]["id"]
    before = snapshot(store.paths.database)
    updated_before = store.get_session(s["id"])["updated_at"]

    store.checkpoint(run_id, "partial answer with searchable words", steps=tool_step(1))

    after = snapshot(store.paths.database)
    changed = {t for t in before if before[t] != after[t]}
    assert changed == {"runs", "run_steps", "sessions"}
    # the search index did not move: the partial text is not searchable yet
    assert store.list_sessions(q="searchable")["total"] == 0
    assert store.get_session(other["id"])["updated_at"] < updated_before
    assert store.get_session(s["id"])["updated_at"] > updated_before
    # in `sessions`, only this session's row changed
    gone = set(before["sessions"]) - set(after["sessions"])
    assert len(gone) == 1 and s["id"] in next(iter(gone))
    # and no message was written: the steps wait in run_steps
    assert len(store.get_session(s["id"])["messages"]) == 1


def test_checkpoint_can_leave_updated_at_alone(store):
    s = store.create_session()
    run_id = store.begin_run(s["id"], "go")["run"]["id"]
    stamp = store.get_session(s["id"])["updated_at"]
    store.checkpoint(run_id, "text", touch_session=False)
    assert store.get_session(s["id"])["updated_at"] == stamp


def test_finish_run_writes_messages_and_indexes_them(store):
    s = store.create_session()
    run_id = store.begin_run(s["id"], "go")["run"]["id"]
    store.checkpoint(run_id, "", steps=tool_step(1))
    stored = store.finish_run(
        run_id,
        "completed",
        "final answer about zeppelins",
        steps=tool_step(2),
        usage={"output_tokens": 9},
    )
    session = store.get_session(s["id"])
    roles = [m["role"] for m in session["messages"]]
    assert roles == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    contents = [m["content"] for m in session["messages"]]
    assert contents[1::2] == ["step 1", "step 2", "final answer about zeppelins"]
    assert session["messages"][-1]["content"] == "final answer about zeppelins"
    assert session["messages"][-1]["status"] == "complete"
    assert session["messages"][-1]["usage"] == {"output_tokens": 9}
    assert [m["id"] for m in stored] == [m["id"] for m in session["messages"][1:]]
    assert session["active_run"] is None
    assert store.get_run(run_id)["status"] == "completed"
    assert store.list_sessions(q="zeppelins")["total"] == 1
    with store.db.connection() as conn:
        assert conn.execute("SELECT count(*) FROM run_steps").fetchone()[0] == 0
    with pytest.raises(Conflict):
        store.finish_run(run_id, "completed", "twice")
    with pytest.raises(Conflict):
        store.checkpoint(run_id, "late")


@pytest.mark.parametrize(
    "run_status, message_status", [("failed", "error"), ("cancelled", "cancelled")]
)
def test_failed_and_cancelled_runs_keep_their_text(store, run_status, message_status):
    s = store.create_session()
    run_id = store.begin_run(s["id"], "go")["run"]["id"]
    store.finish_run(run_id, run_status, "half an ans", error="The provider said no.")
    last = store.get_session(s["id"])["messages"][-1]
    assert (last["content"], last["status"]) == ("half an ans", message_status)
    assert last["error"] == "The provider said no."
    with pytest.raises(InvalidInput):
        store.finish_run(store.begin_run(s["id"], "x")["run"]["id"], "exploded")


def test_recover_closes_runs_of_a_closed_store(paths):
    with Store(paths) as first:
        s = first.create_session()
        run_id = first.begin_run(s["id"], "tell me a story")["run"]["id"]
        first.checkpoint(run_id, "Once upon a", "thinking…", steps=tool_step(1))
    with Store(paths) as second:
        assert second.recovered == [run_id]
        session = second.get_session(s["id"])
        assert session["active_run"] is None
        last = session["messages"][-1]
        assert (last["content"], last["status"], last["reasoning"]) == (
            "Once upon a",
            "interrupted",
            "thinking…",
        )
        assert [m["role"] for m in session["messages"]] == [
            "user",
            "assistant",
            "tool",
            "assistant",
        ]
        assert second.get_run(run_id)["status"] == "interrupted"
        second.begin_run(s["id"], "continue")  # the session is free again


def test_recover_leaves_runs_of_a_live_store_alone(paths):
    with Store(paths) as first:
        s = first.create_session()
        run_id = first.begin_run(s["id"], "go")["run"]["id"]
        with Store(paths) as second:
            assert second.recovered == []
            assert second.get_session(s["id"])["active_run"]["id"] == run_id


def test_message_stored_before_the_agent_starts_survives_a_killed_process(paths):
    script = (
        "import sys; from core.store import Store\n"
        "s = Store(sys.argv[1]); sid = s.create_session()['id']\n"
        "s.begin_run(sid, 'remember me')\n"
        "print(sid, flush=True); sys.stdin.read()\n"
    )
    child = python("-c", script, str(paths.data), stdin=-1, stdout=-1, text=True)
    session_id = child.stdout.readline().strip()
    child.kill()
    child.wait()
    with Store(paths) as store:
        assert len(store.recovered) == 1
        messages = store.get_session(session_id)["messages"]
        assert messages[0]["content"] == "remember me"
        assert messages[-1]["status"] == "interrupted"


def test_checkpoint_cost_does_not_depend_on_session_length(store):
    """Sanity check at test scale; bench/ measures the real figures."""

    def one_checkpoint_time(count):
        s = store.create_session()
        with store.db.write() as conn:
            for i in range(count):
                conn.execute(
                    "INSERT INTO messages (id, session_id, seq, role, content, created_at)"
                    " VALUES (?, ?, ?, 'user', 'filler text', '2026-01-01T00:00:00Z')",
                    (f"{s['id'][:20]}{i}", s["id"], i + 1),
                )
        run_id = store.begin_run(s["id"], "go")["run"]["id"]
        times = []
        for n in range(30):
            start = time.perf_counter()
            store.checkpoint(run_id, "x" * n)
            times.append(time.perf_counter() - start)
        return sorted(times)[len(times) // 2]

    small, large = one_checkpoint_time(5), one_checkpoint_time(5000)
    assert large < small * 5 + 0.002


def test_edit_adds_a_sibling_version_and_deletes_nothing(store):
    s = store.create_session()
    for n in range(2):
        run_id = store.begin_run(s["id"], f"question {n}")["run"]["id"]
        store.finish_run(run_id, "completed", f"answer about walruses {n}")
    second_question = store.get_session(s["id"])["messages"][2]
    store.begin_run(s["id"], "question 1 again", edit=second_question["id"])
    shown = store.get_session(s["id"])["messages"]
    assert [m["content"] for m in shown] == [
        "question 0",
        "answer about walruses 0",
        "question 1 again",
    ]
    assert shown[2]["parent_id"] == second_question["parent_id"]
    assert store.get_session(s["id"])["message_count"] == 5  # the old question and answer stay
    other = store.create_session()
    with pytest.raises(NotFound):
        store.begin_run(other["id"], "x", edit=second_question["id"])
    with pytest.raises(InvalidInput):
        store.begin_run(other["id"], "x", edit="../x")
    assert store.get_session(other["id"])["messages"] == []


def test_listed_sessions_carry_their_live_run(store):
    s = store.create_session()
    idle = store.create_session()
    run_id = store.begin_run(s["id"], "go")["run"]["id"]
    listed = {x["id"]: x["active_run"] for x in store.list_sessions()["sessions"]}
    assert listed[s["id"]]["id"] == run_id and listed[idle["id"]] is None
    assert store.list_sessions(q="go")["sessions"][0]["active_run"]["id"] == run_id
