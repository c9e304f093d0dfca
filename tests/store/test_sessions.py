import threading

import pytest

from core.errors import Conflict, InvalidInput, NotFound


def test_create_get_and_list(store):
    first = store.create_session(title="Groceries", model="m1", workspace="/tmp/w")
    assert first["title"] == "Groceries"
    assert first["message_count"] == 0
    assert first["pinned"] is False
    assert first["created_at"].endswith("Z")
    got = store.get_session(first["id"])
    assert got["messages"] == []
    assert got["active_run"] is None
    assert got["model"] == "m1"
    listed = store.list_sessions()
    assert listed["total"] == 1
    assert listed["sessions"][0]["id"] == first["id"]


def test_list_is_pinned_first_then_newest_activity(store):
    a = store.create_session(title="a")
    b = store.create_session(title="b")
    c = store.create_session(title="c")
    store.append_message(a["id"], {"role": "user", "content": "a speaks last"})
    store.update_session(c["id"], pinned=True)
    order = [s["id"] for s in store.list_sessions()["sessions"]]
    assert order == [c["id"], a["id"], b["id"]]


def test_paging(store):
    made = [store.create_session(title=f"s{i}")["id"] for i in range(7)]
    page1 = store.list_sessions(limit=3, offset=0)
    page3 = store.list_sessions(limit=3, offset=6)
    assert page1["total"] == 7
    assert [s["id"] for s in page1["sessions"]] == made[::-1][:3]
    assert [s["id"] for s in page3["sessions"]] == [made[0]]
    for limit, offset in [(0, 0), (501, 0), (10, -1), ("5", 0), (True, 0)]:
        with pytest.raises(InvalidInput):
            store.list_sessions(limit=limit, offset=offset)


def test_rename_and_pin_do_not_reorder_by_time(store):
    s = store.create_session(title="old")
    renamed = store.update_session(s["id"], title="  new\nname  ")
    assert renamed["title"] == "new name"
    assert renamed["updated_at"] == s["updated_at"]
    assert store.update_session(s["id"], pinned=True)["pinned"] is True
    with pytest.raises(InvalidInput):
        store.update_session(s["id"], pinned="yes")
    with pytest.raises(InvalidInput):
        store.update_session(s["id"], colour="red")
    with pytest.raises(InvalidInput):
        store.update_session(s["id"], title="x" * 10_000)


def test_append_keeps_order_and_fields(store):
    s = store.create_session()
    store.append_message(s["id"], {"role": "user", "content": "hi"})
    store.append_message(
        s["id"],
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": "c1", "name": "read_file", "arguments": '{"path": "a"}'}],
            "usage": {"input_tokens": 3},
        },
    )
    store.append_message(
        s["id"], {"role": "tool", "tool_call_id": "c1", "name": "read_file", "content": "x"}
    )
    messages = store.get_session(s["id"])["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool"]
    assert messages[1]["tool_calls"][0]["name"] == "read_file"
    assert messages[1]["usage"] == {"input_tokens": 3}
    assert messages[2]["tool_call_id"] == "c1"
    assert all(m["status"] == "complete" for m in messages)
    assert store.get_session(s["id"])["message_count"] == 3


@pytest.mark.parametrize(
    "bad",
    [
        {"role": "system", "content": "x"},
        {"role": "user", "content": 5},
        {"role": "user", "content": "x", "status": "weird"},
        {"role": "assistant", "content": "x", "tool_calls": "nope"},
        {"role": "user", "content": "x", "usage": [1]},
        "not an object",
    ],
)
def test_bad_messages_are_refused_and_nothing_is_stored(store, bad):
    s = store.create_session()
    with pytest.raises(InvalidInput):
        store.append_message(s["id"], bad)
    assert store.get_session(s["id"])["messages"] == []


def test_delete_removes_messages_and_runs(store):
    s = store.create_session()
    keep = store.create_session()
    store.append_message(s["id"], {"role": "user", "content": "bye"})
    run = store.begin_run(s["id"], "one more")["run"]
    with pytest.raises(Conflict):
        store.delete_session(s["id"])
    store.finish_run(run["id"], "completed", "ok")
    store.delete_session(s["id"])
    with pytest.raises(NotFound):
        store.get_session(s["id"])
    with pytest.raises(NotFound):
        store.get_run(run["id"])
    with store.db.connection() as conn:
        left = conn.execute("SELECT count(*) FROM messages WHERE session_id = ?", (s["id"],))
        assert left.fetchone()[0] == 0
    assert store.list_sessions()["total"] == 1
    assert store.get_session(keep["id"])["id"] == keep["id"]


@pytest.mark.parametrize(
    "bad_id",
    ["../etc/passwd", "a/b", "a\\b", "..", "x" * 65, "abc\x00", "abc\n", "", 42, None, "é"],
)
def test_bad_ids_are_refused(store, bad_id):
    with pytest.raises(InvalidInput):
        store.get_session(bad_id)
    with pytest.raises(InvalidInput):
        store.get_run(bad_id)


def test_unknown_ids_are_not_found(store):
    with pytest.raises(NotFound):
        store.get_session("doesnotexist")
    with pytest.raises(NotFound):
        store.update_session("doesnotexist", title="x")
    with pytest.raises(NotFound):
        store.delete_session("doesnotexist")
    with pytest.raises(NotFound):
        store.append_message("doesnotexist", {"role": "user", "content": "x"})
    with pytest.raises(NotFound):
        store.begin_run("doesnotexist", "x")
    with pytest.raises(NotFound):
        store.get_run("doesnotexist")


def test_shared_between_threads(store):
    sessions = [store.create_session(title=f"t{i}")["id"] for i in range(4)]
    errors = []

    def talk(session_id):
        try:
            for n in range(50):
                store.append_message(session_id, {"role": "user", "content": f"msg {n}"})
                store.list_sessions(limit=10)
        except Exception as exc:  # pragma: no cover - the assertion shows it
            errors.append(exc)

    threads = [threading.Thread(target=talk, args=(sid,)) for sid in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for sid in sessions:
        contents = [m["content"] for m in store.get_session(sid)["messages"]]
        assert contents == [f"msg {n}" for n in range(50)]
