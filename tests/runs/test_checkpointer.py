"""The checkpoint loop, over a real store: when it saves, and that a run's writes never overlap."""

import threading
import time

import pytest

from core.runs import CheckpointLoop, LiveRun, checkpoint, finish


def live_run(store, text="go"):
    session = store.create_session()
    begun = store.begin_run(session["id"], text)
    return LiveRun(begun["run"]["id"], session["id"])


class Saves:
    """on_checkpoint: records when each save reached the disk."""

    def __init__(self):
        self.times = []
        self.cond = threading.Condition()

    def __call__(self, pending):
        with self.cond:
            self.times.append(time.monotonic())
            self.cond.notify_all()

    def wait(self, n, timeout=5):
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.times) >= n, timeout), "no save"


def partial_on_disk(store, run_id):
    with store.db.connection() as conn:
        row = conn.execute("SELECT partial_text FROM runs WHERE id = ?", (run_id,)).fetchone()
    return row[0]


def test_saves_only_when_activity_moved(store):
    live, saves = live_run(store), Saves()
    loop = CheckpointLoop(store, interval=0.02)
    loop.watch(live, saves)
    try:
        time.sleep(0.15)  # several ticks with nothing new: nothing written
        assert saves.times == []
        live.add_text("a")
        saves.wait(1)
        assert partial_on_disk(store, live.run_id) == "a"
        time.sleep(0.15)
        assert len(saves.times) == 1  # nothing moved since: no second save
        live.add_text("b")
        saves.wait(2)
        assert partial_on_disk(store, live.run_id) == "ab"
    finally:
        loop.stop()


def test_saves_at_most_once_an_interval(store):
    live, saves = live_run(store), Saves()
    stop = threading.Event()

    def writer():
        while not stop.is_set():
            live.add_text("x")
            time.sleep(0.002)

    loop = CheckpointLoop(store, interval=0.05)
    thread = threading.Thread(target=writer)
    thread.start()
    loop.watch(live, saves)
    try:
        saves.wait(6)
    finally:
        stop.set()
        thread.join()
        loop.stop()
    # Ticks are an interval apart (a slow save delays one completion, not the schedule).
    span = saves.times[-1] - saves.times[0]
    assert span >= (len(saves.times) - 2) * 0.05 * 0.9, saves.times  # one may complete late


def test_one_loop_saves_many_runs_with_one_thread(store):
    runs = [live_run(store) for _ in range(20)]
    before = threading.active_count()
    loop = CheckpointLoop(store, interval=0.02)
    saved = Saves()
    for live in runs:
        loop.watch(live, saved)
        live.add_text(f"text of {live.run_id}")
    try:
        saved.wait(20)
        assert threading.active_count() == before + 1
    finally:
        loop.stop()
    for live in runs:
        assert partial_on_disk(store, live.run_id) == f"text of {live.run_id}"


def test_stop_is_prompt_even_with_a_long_interval(store):
    loop = CheckpointLoop(store, interval=60)
    loop.watch(live_run(store))
    start = time.monotonic()
    loop.stop()
    assert time.monotonic() - start < 0.5


def test_a_checkpoint_and_the_final_save_never_overlap(store):
    """Two writers of one run (a checkpoint racing the final save, as at shutdown) store each
    step exactly once, in order."""
    live = live_run(store)
    live.add_text("thinking")
    live.finish_assistant_step([{"id": "c1", "name": "list_directory", "arguments": "{}"}])
    live.add_tool_result("c1", "list_directory", "a.txt")
    live.finish_assistant_step([{"id": "c2", "name": "list_directory", "arguments": "{}"}])
    live.add_tool_result("c2", "list_directory", "b.txt")
    live.add_text("done")
    barrier = threading.Barrier(9)
    errors = []

    def saver():
        barrier.wait()
        try:
            checkpoint(store, live)
        except Exception as exc:  # a Conflict once the run is finished is not expected either
            errors.append(exc)

    threads = [threading.Thread(target=saver) for _ in range(8)]
    for thread in threads:
        thread.start()
    barrier.wait()
    finish(store, live, "completed")
    for thread in threads:
        thread.join()
    assert errors == []
    messages = store.get_session(live.session_id)["messages"]
    assert [(m["role"], m.get("tool_call_id")) for m in messages] == [
        ("user", None),
        ("assistant", None),
        ("tool", "c1"),
        ("assistant", None),
        ("tool", "c2"),
        ("assistant", None),
    ]
    with store.db.connection() as conn:
        assert conn.execute("SELECT count(*) FROM run_steps").fetchone()[0] == 0


def test_a_failing_save_is_retried_and_does_not_stop_the_loop(store, monkeypatch):
    live, saves = live_run(store), Saves()
    real = store.checkpoint
    failures = iter([True, True])

    def flaky(*args, **kwargs):
        if next(failures, False):
            raise OSError("disk busy")
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "checkpoint", flaky)
    loop = CheckpointLoop(store, interval=0.02)
    live.add_text("kept")
    loop.watch(live, saves)
    try:
        saves.wait(1)
    finally:
        loop.stop()
    assert loop.failures == 2 and loop.saves == 1
    assert partial_on_disk(store, live.run_id) == "kept"


def test_text_the_store_would_refuse_is_made_valid_before_it_is_saved(store):
    live = live_run(store)
    live.add_text("nul \x00 and surrogate \ud800 and escape \udcff")
    live.finish_assistant_step([{"id": "c\udcff", "name": "list_directory", "arguments": "{}"}])
    live.add_tool_result("c\udcff", "list_directory", "bad\udcfe.txt")
    checkpoint(store, live)
    finish(store, live, "completed")
    messages = store.get_session(live.session_id)["messages"]
    assert messages[1]["content"] == "nul \ufffd and surrogate \ufffd and escape \ufffd"
    assert messages[2]["content"] == "bad\ufffd.txt"
    assert store.get_run(live.run_id)["status"] == "completed"


def test_an_answer_the_store_refuses_still_ends_the_run(store):
    live = live_run(store)
    live.add_text("partial answer")
    finish(store, live, "failed", error="e" * 100_000)  # longer than the store takes
    run = store.get_run(live.run_id)
    assert run["status"] == "failed"
    last = store.get_session(live.session_id)["messages"][-1]
    assert last["content"] == "partial answer" and len(last["error"]) <= 4096


@pytest.mark.parametrize("status", ["completed", "cancelled", "interrupted"])
def test_finish_twice_stores_once(store, status):
    live = live_run(store)
    live.add_text("once")
    first = finish(store, live, status)
    assert finish(store, live, status) == []
    assert [m["content"] for m in first] == ["once"]


def test_a_damaged_staged_step_still_ends_the_run_and_frees_the_session(store):
    """Whatever the store cannot read back (here a staged step damaged on disk), the final
    save ends the run failed with its text, so the session is never jammed."""
    live = live_run(store)
    live.finish_assistant_step([{"id": "c1", "name": "list_directory", "arguments": "{}"}])
    live.add_tool_result("c1", "list_directory", "a.txt")
    checkpoint(store, live)
    with store.db.write() as conn:
        conn.execute("UPDATE run_steps SET message = '{not json' WHERE run_id = ?", (live.run_id,))
    live.add_text("the answer so far")
    finish(store, live, "completed")
    run = store.get_run(live.run_id)
    assert run["status"] == "failed" and "could not store" in run["error"]
    session = store.get_session(live.session_id)
    assert session["active_run"] is None
    assert session["messages"][-1]["content"] == "the answer so far"
    again = store.begin_run(live.session_id, "next question")  # not jammed
    assert again["run"]["status"] == "live"
