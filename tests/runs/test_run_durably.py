import threading

from core.runs import LiveRun, run_durably


def begin(store, text="go"):
    session = store.create_session()
    begun = store.begin_run(session["id"], text)
    return session["id"], LiveRun(begun["run"]["id"], session["id"])


def test_checkpoints_while_the_turn_runs_and_finishes_after(store):
    session_id, live = begin(store)
    checkpointed = threading.Event()
    release = threading.Event()

    def work(run):
        run.add_text("Hello")
        run.finish_assistant_step([{"id": "c1", "name": "list_directory", "arguments": "{}"}])
        run.add_tool_result("c1", "list_directory", "a.txt")
        run.add_text(" world")
        assert checkpointed.wait(5)
        # the checkpoint is on disk while the turn is still running
        with store.db.connection() as conn:
            on_disk = conn.execute(
                "SELECT partial_text FROM runs WHERE id = ?", (run.run_id,)
            ).fetchone()[0]
        assert on_disk == " world"
        release.set()
        return "completed"

    stored = run_durably(
        store, live, work, interval=0.02, on_checkpoint=lambda _: checkpointed.set()
    )
    assert release.is_set()
    messages = store.get_session(session_id)["messages"]
    assert [(m["role"], m["content"]) for m in messages] == [
        ("user", "go"),
        ("assistant", "Hello"),
        ("tool", "a.txt"),
        ("assistant", " world"),
    ]
    assert [m["id"] for m in stored] == [m["id"] for m in messages[1:]]
    assert store.get_session(session_id)["active_run"] is None


def test_a_turn_that_fails_at_once_is_stored_as_failed_with_its_sentence(store):
    session_id, live = begin(store)

    class ProviderDown(Exception):
        message = "Could not reach the model server. Is it running?"

    def work(run):
        raise ProviderDown()

    run_durably(store, live, work, interval=0.02)
    last = store.get_session(session_id)["messages"][-1]
    assert (last["status"], last["error"]) == ("error", ProviderDown.message)
    assert store.get_run(live.run_id)["status"] == "failed"


def test_an_unexpected_error_is_described_not_lost(store):
    session_id, live = begin(store)

    def work(run):
        run.add_text("partial")
        raise KeyError("boom")

    run_durably(store, live, work, interval=0.02)
    last = store.get_session(session_id)["messages"][-1]
    assert last["content"] == "partial"
    assert "KeyError" in last["error"]


def test_cancelled_turn_keeps_its_text(store):
    session_id, live = begin(store)

    def work(run):
        run.add_text("I was saying")
        return "cancelled"

    run_durably(store, live, work, interval=0.02)
    last = store.get_session(session_id)["messages"][-1]
    assert (last["content"], last["status"]) == ("I was saying", "cancelled")
