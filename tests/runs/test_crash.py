"""Kill a process mid-turn with SIGKILL, 20 times, and check what the store kept."""

import json
import os
import random
import signal
import threading
from pathlib import Path

from core.store import Store
from tests.conftest import python

CHILD = str(Path(__file__).with_name("crash_child.py"))
KILLS = 20


def expected_stream(words):
    return "".join(f"w{k} " for k in range(words))


def frozen(store, session_id):
    data = store.export_json(session_id)
    data.pop("exported_at")
    return data


def run_and_kill(paths, session_id, delay):
    child = python(CHILD, str(paths.data), session_id, "0.05", stdout=-1, text=True)
    ready = child.stdout.readline().split()
    assert ready[0] == "READY", ready
    timer = threading.Timer(delay, lambda: os.kill(child.pid, signal.SIGKILL))
    timer.start()
    lines = child.stdout.read().splitlines()  # everything the child printed before it died
    child.wait()
    timer.cancel()
    assert child.returncode == -signal.SIGKILL
    saved = [json.loads(line.split(" ", 1)[1]) for line in lines if line.startswith("SAVED")]
    return ready[1], (saved[-1] if saved else [0, ""])


def test_sigkill_at_random_moments_loses_nothing_checkpointed(paths):
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    with Store(paths) as store:
        bystanders = []
        for title in ("Recipes", "Taxes"):
            s = store.create_session(title=title)
            store.append_message(s["id"], {"role": "user", "content": f"about {title}"})
            bystanders.append(s["id"])
        victim = store.create_session(title="Long turn")["id"]
        before = {sid: frozen(store, sid) for sid in bystanders}

    for attempt in range(KILLS):
        delay = rng.uniform(0, 0.6)
        run_id, (saved_steps, saved_text) = run_and_kill(paths, victim, delay)
        context = f"seed {seed}, attempt {attempt}, kill after {delay:.3f}s"
        with Store(paths) as store:
            assert store.recovered == [run_id], context
            session = store.get_session(victim)
            assert session["active_run"] is None, context
            turn = [m for m in session["messages"] if m.get("run_id") == run_id]
            assert turn[0] == {**turn[0], "role": "user", "content": "tell me everything"}
            kept = turn[1:]
            assert kept[-1]["role"] == "assistant" and kept[-1]["status"] == "interrupted", context
            assert store.get_run(run_id)["status"] == "interrupted", context
            tools = [m for m in kept if m["role"] == "tool"]
            text = "".join(m["content"] for m in kept if m["role"] == "assistant")
            words = len(text.split())
            # what was kept is exactly the start of what was streamed...
            assert text == expected_stream(words), context
            assert [m["content"] for m in tools] == [f"result {k}" for k in range(6, words, 7)]
            # ...and at least everything a checkpoint had reported on disk
            saved_words = (saved_steps + 1) // 2 * 7 + len(saved_text.split())
            assert words >= saved_words, context
            assert len(tools) >= saved_steps // 2, context
            for sid in bystanders:
                assert frozen(store, sid) == before[sid], context
    with Store(paths) as store:
        assert store.list_sessions()["total"] == 3
        with store.db.connection() as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
