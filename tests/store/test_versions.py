"""The message tree through the store's API: versions, the shown path, switching, fork, and a
Continue's final save and recovery writing back into the message it continues."""

from __future__ import annotations

import pytest

from core.errors import Conflict, InvalidInput, NotFound
from core.store import Store


def answered(store, session_id: str, question: str, answer: str, **how) -> str:
    run_id = store.begin_run(session_id, question, **how)["run"]["id"]
    store.finish_run(run_id, "completed", answer)
    return run_id


def shown(store, session_id: str) -> list[str]:
    return [m["content"] for m in store.get_session(session_id)["messages"]]


def test_versions_are_siblings_in_the_order_written_and_switching_follows_the_newest(store):
    s = store.create_session()["id"]
    answered(store, s, "q", "a1")
    q, a1 = store.get_session(s)["messages"]
    run = store.begin_run(s, regenerate=a1["id"])["run"]["id"]
    store.finish_run(run, "completed", "a2")
    answered(store, s, "follow-up", "under a2")
    run = store.begin_run(s, regenerate=a1["id"])["run"]["id"]
    store.finish_run(run, "completed", "a3")
    session = store.get_session(s)
    assert shown(store, s) == ["q", "a3"]
    assert session["messages"][1]["version"].items() >= {"index": 3, "count": 3}.items()
    assert session["message_count"] == 6

    a2 = [m for m in store.show_path(s, q["id"])["messages"]]
    assert [m["content"] for m in a2] == ["q", "a3"]  # the newest child at each step
    path = store.show_path(s, a1["id"])["messages"]
    assert [m["content"] for m in path] == ["q", "a1"]
    assert path[1]["version"].items() >= {"index": 1, "count": 3}.items()
    second = store.get_session(s)["messages"]
    with pytest.raises(NotFound):
        store.show_path(s, "0" * 32)
    with pytest.raises(InvalidInput):
        store.show_path(s, "../x")
    assert store.get_session(s)["messages"] == second


def test_editing_the_first_message_makes_a_root_sibling(store):
    s = store.create_session()["id"]
    answered(store, s, "first", "one")
    first = store.get_session(s)["messages"][0]
    answered(store, s, "first, better", "two", edit=first["id"])
    messages = store.get_session(s)["messages"]
    assert [m["content"] for m in messages] == ["first, better", "two"]
    assert messages[0]["parent_id"] is None
    assert messages[0]["version"].items() >= {"index": 2, "count": 2}.items()


def test_a_run_cannot_start_or_switch_while_another_is_live(store):
    s = store.create_session()["id"]
    answered(store, s, "q", "a")
    q, _ = store.get_session(s)["messages"]
    store.begin_run(s, "busy")
    with pytest.raises(Conflict):
        store.show_path(s, q["id"])
    with pytest.raises(Conflict):
        store.begin_run(s, "again", edit=q["id"])


def test_fork_copies_the_path_with_new_ids_and_the_same_times(store):
    s = store.create_session(title="Plans", workspace="/tmp/plans")["id"]
    answered(store, s, "q0", "a0")
    answered(store, s, "q1", "a1")
    original = store.get_session(s)["messages"]
    fork = store.fork_session(s, original[2]["id"])
    assert fork["title"] == "Plans (fork)" and fork["workspace"] == "/tmp/plans"
    assert [m["content"] for m in fork["messages"]] == ["q0", "a0", "q1"]
    for copy, source in zip(fork["messages"], original, strict=False):
        assert copy["id"] != source["id"]
        assert (copy["role"], copy["created_at"], copy["status"]) == (
            source["role"],
            source["created_at"],
            source["status"],
        )
    assert store.get_session(s)["messages"] == original
    answered(store, fork["id"], "q2", "a2")
    assert shown(store, fork["id"]) == ["q0", "a0", "q1", "q2", "a2"]


def cut_off(store, s: str) -> dict:
    run = store.begin_run(s, "story please")["run"]["id"]
    store.finish_run(run, "cancelled", "Once upon a ")
    return store.get_session(s)["messages"][-1]


def test_a_continue_writes_the_whole_text_back_into_the_same_message(store):
    s = store.create_session()["id"]
    kept = cut_off(store, s)
    began = store.begin_run(s, continue_id=kept["id"])
    assert began["message"] is None and began["continues"]["id"] == kept["id"]
    saved = store.finish_run(began["run"]["id"], "completed", "Once upon a time.")
    messages = store.get_session(s)["messages"]
    assert len(messages) == 2 and saved[0]["id"] == kept["id"]
    assert (messages[-1]["content"], messages[-1]["status"]) == ("Once upon a time.", "complete")


def test_a_continue_that_calls_tools_keeps_the_text_in_the_continued_message(store):
    s = store.create_session()["id"]
    kept = cut_off(store, s)
    run = store.begin_run(s, continue_id=kept["id"])["run"]["id"]
    call = {"id": "c1", "name": "list_directory", "arguments": "{}"}
    steps = [
        {"role": "assistant", "content": "Once upon a time, I looked:", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "name": "list_directory", "content": "a.txt"},
    ]
    store.finish_run(run, "completed", "There was a.txt.", steps=steps)
    messages = store.get_session(s)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]
    assert messages[1]["id"] == kept["id"]
    assert messages[1]["content"] == "Once upon a time, I looked:"
    assert messages[1]["tool_calls"][0]["id"] == "c1"
    assert messages[2]["parent_id"] == kept["id"]


def test_a_recovered_continue_keeps_the_whole_checkpointed_text(paths):
    with Store(paths) as first:
        s = first.create_session()["id"]
        kept = cut_off(first, s)
        run = first.begin_run(s, continue_id=kept["id"])["run"]["id"]
        first.checkpoint(run, "Once upon a time there")
    with Store(paths) as second:
        assert second.recovered == [run]
        last = second.get_session(s)["messages"][-1]
        assert last["id"] == kept["id"]
        assert (last["content"], last["status"]) == ("Once upon a time there", "interrupted")


def test_a_continue_that_ends_before_its_first_checkpoint_keeps_the_kept_text(paths):
    with Store(paths) as first:
        s = first.create_session()["id"]
        kept = cut_off(first, s)
        first.begin_run(s, continue_id=kept["id"])
    with Store(paths) as second:
        last = second.get_session(s)["messages"][-1]
        assert (last["content"], last["status"]) == ("Once upon a ", "interrupted")


def test_continue_is_refused_for_what_cannot_be_continued(store):
    s = store.create_session()["id"]
    answered(store, s, "q", "done")
    q, done = store.get_session(s)["messages"]
    for target in (q["id"], done["id"]):
        with pytest.raises(InvalidInput):
            store.begin_run(s, continue_id=target)
    run = store.begin_run(s, "again")["run"]["id"]
    store.finish_run(run, "failed", "", error="boom")
    empty = store.get_session(s)["messages"][-1]
    with pytest.raises(InvalidInput, match="no text"):
        store.begin_run(s, continue_id=empty["id"])
    with pytest.raises(InvalidInput):
        store.begin_run(s, "text", continue_id=empty["id"])
    assert store.get_session(s)["message_count"] == 4
