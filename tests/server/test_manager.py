"""RunManager, EventLog, the delta coalescer and the SSE writer, in process with a stand-in turn."""

from __future__ import annotations

import threading
import time

import pytest

from core.errors import Conflict, NotFound
from core.runs import EventLog, RunManager
from webui.sse import format_event, stream


class StandInTurn:
    """Streams ``pieces`` one per ``delay`` s, then waits for ``release`` (if given)."""

    def __init__(
        self,
        pieces=("a", "b"),
        delay=0.0,
        release: threading.Event | None = None,
        fail: str | None = None,
    ):
        self.pieces, self.delay, self.release, self.fail = pieces, delay, release, fail
        self.seen: dict = {}

    def __call__(self, live, *, session, history, model, emit, cancel):
        self.seen = {"session": session, "history": history, "model": model}
        for piece in self.pieces:
            if cancel.wait(self.delay) if self.delay else cancel.is_set():
                return "cancelled"
            live.add_text(piece)
            emit("text.delta", {"text": piece})
        if self.release is not None:
            while not self.release.wait(0.01):
                if cancel.is_set():
                    return "cancelled"
        if self.fail:
            raise RuntimeError(self.fail)
        return "completed"


def drain(log: EventLog, timeout: float = 5.0) -> list:
    events, after = [], 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got, ended = log.read(after, timeout=0.5)
        events += got
        after = events[-1].id if events else after
        if ended:
            return events
    raise AssertionError("the log never ended")


def test_event_log_ids_blocking_read_and_end():
    log = EventLog()
    assert log.read(0, timeout=0.01) == ([], False)
    threading.Timer(0.05, lambda: log.append("text.delta", {"text": "x"})).start()
    started = time.monotonic()
    events, ended = log.read(0, timeout=5)
    assert [e.id for e in events] == [1] and not ended and time.monotonic() - started < 1
    log.append("run.completed")
    assert [e.id for e in log.read(1)[0]] == [2] and log.read(2) == ([], True)
    with pytest.raises(RuntimeError):
        log.append("text.delta", {"text": "late"})
    resumed = EventLog(first_id=8)
    resumed.append("run.failed", {"error": "x"})
    assert [e.id for e in resumed.read(7)[0]] == [8]


def test_a_reader_gets_deltas_coalesced_at_a_capped_rate_and_none_held_long():
    log = EventLog()
    emitted: list[tuple[float, str]] = []
    received: list[tuple[float, str]] = []

    def reader():
        after = 0
        while True:
            events, ended = log.read(after, timeout=5)
            for event in events:
                received.append((time.monotonic(), event.data.get("text", "")))
                after = event.id
            if ended:
                return

    thread = threading.Thread(target=reader)
    thread.start()
    started = time.monotonic()
    for i in range(400):
        emitted.append((time.monotonic(), f"{i},"))
        log.emit("text.delta", {"text": f"{i},"})
        time.sleep(0.001)
    elapsed = time.monotonic() - started
    log.append("run.completed")
    thread.join(5)
    texts = [t for _, t in received if t]
    assert "".join(texts) == "".join(t for _, t in emitted)
    assert len(texts) <= 30 * elapsed + 2
    # Each piece reached the reader within 100 ms of being emitted (1/30 s plus scheduling).
    out_at = []
    for when, text in received:
        out_at += [when] * text.count(",")
    for (emitted_at, _), sent_at in zip(emitted, out_at, strict=True):
        assert sent_at - emitted_at <= 0.1


def test_coalescing_keeps_order_across_event_types():
    log = EventLog(coalesce=10)  # nothing is sealed by age
    log.emit("reasoning.delta", {"text": "think"})
    log.emit("text.delta", {"text": "a"})
    log.emit("text.delta", {"text": "b"})
    log.emit("tool.started", {"call_id": "c"})
    log.append("run.completed")
    events, _ = log.read(0)
    assert [(e.type, e.data.get("text")) for e in events] == [
        ("reasoning.delta", "think"),
        ("text.delta", "ab"),
        ("tool.started", None),
        ("run.completed", None),
    ]


def test_text_that_cannot_be_encoded_never_reaches_the_reader():
    log = EventLog()
    log.emit("text.delta", {"text": "bad \ud800 surrogate"})
    log.append("tool.completed", {"output": "name \udcff.txt", "\udcfe": 1})
    log.append("run.completed")
    events, _ = log.read(0)
    for event in events:
        chunk = format_event(event)  # raises on a lone surrogate
        assert b"\xef\xbf\xbd" in chunk or event.type == "run.completed"


def test_terminal_event_comes_after_the_run_is_stored(store):
    session = store.create_session()
    turn = StandInTurn(pieces=("Hello", " world"))
    manager = RunManager(store, turn)
    run = manager.start(session["id"], "hi", model="m1")
    events = drain(manager.events(run["id"]))
    assert [e.type for e in events][0] == "run.started" and events[-1].type == "run.completed"
    stored = store.get_session(session["id"])
    assert stored["active_run"] is None and stored["messages"][-1]["content"] == "Hello world"
    assert turn.seen["model"] == "m1" and turn.seen["history"][-1]["content"] == "hi"
    assert "messages" not in turn.seen["session"]


def test_failure_and_conflict(store):
    session = store.create_session()
    release = threading.Event()
    manager = RunManager(store, StandInTurn(release=release, fail="the model broke"))
    run = manager.start(session["id"], "hi")
    with pytest.raises(Conflict):
        manager.start(session["id"], "again")
    release.set()
    events = drain(manager.events(run["id"]))
    assert events[-1].type == "run.failed" and "the model broke" in events[-1].data["error"]
    assert store.get_session(session["id"])["messages"][-1]["status"] == "error"
    with pytest.raises(NotFound):
        manager.events("0123456789abcdef0123456789abcdef")


def test_shutdown_ends_live_runs_as_interrupted_with_their_text(store):
    sessions = [store.create_session() for _ in range(3)]
    release = threading.Event()
    manager = RunManager(store, StandInTurn(pieces=("kept",), release=release))
    runs = [manager.start(s["id"], "hi") for s in sessions]
    for run in runs:
        log = manager.events(run["id"])
        while "kept" not in "".join(e.data.get("text", "") for e in log.read(0)[0]):
            log.read(log.last_id, timeout=1)
    started = time.monotonic()
    manager.shutdown()
    assert time.monotonic() - started < 2
    for session, run in zip(sessions, runs, strict=True):
        assert store.get_run(run["id"])["status"] == "interrupted"
        last = store.get_session(session["id"])["messages"][-1]
        assert last["status"] == "interrupted" and last["content"] == "kept"
        assert drain(manager.events(run["id"]))[-1].data["status"] == "interrupted"
    with pytest.raises(Conflict):
        manager.start(sessions[0]["id"], "after shutdown")


def test_ended_logs_are_dropped_after_the_retention(store):
    session = store.create_session()
    manager = RunManager(store, StandInTurn(), retention=0.05)
    run = manager.start(session["id"], "hi")
    full = drain(manager.events(run["id"]))
    assert len(full) > 2
    time.sleep(0.1)
    synthesized = drain(manager.events(run["id"], after=len(full)))
    assert [(e.id, e.type) for e in synthesized] == [(len(full) + 1, "run.completed")]


def test_sse_heartbeat_and_end():
    log = EventLog()
    chunks = stream(log, 0, heartbeat=0.05)
    assert next(chunks).startswith(b":")
    assert next(chunks) == b": heartbeat\n\n"
    log.append("text.delta", {"text": "é"})
    log.append("run.completed")
    body = b"".join(chunks)
    assert body.startswith(b'id: 1\nevent: text.delta\ndata: {"text":"\xc3\xa9"}\n\n')
    assert body.endswith(b"id: 2\nevent: run.completed\ndata: {}\n\n")
