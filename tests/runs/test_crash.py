"""Kill a process mid-turn with SIGKILL, 20 times, and check what the store kept.

The kill moments come from a seed: ``HEARTH_CRASH_SEED=N`` replays a failing run's moments
(a failure names its seed). Only complete lines of the child's output are read: the kill can
land in the middle of a line, and half a line says nothing about what reached the disk.
"""

import json
import os
import random
import signal
import sqlite3
import threading
from pathlib import Path

from core.store import Store
from tests.conftest import python

CHILD = str(Path(__file__).with_name("crash_child.py"))
KILLS = 20
SEED_VARIABLE = "HEARTH_CRASH_SEED"


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
    printed = child.stdout.read()  # everything the child printed before it died
    child.wait()
    child.stdout.close()
    timer.cancel()
    assert child.returncode == -signal.SIGKILL
    saved = [json.loads(line[len("SAVED ") :]) for line in complete_lines(printed, "SAVED ")]
    return ready[1], (saved[-1] if saved else [0, ""])


def complete_lines(printed, prefix):
    """The lines of ``printed`` that start with ``prefix`` and were written to their end."""
    return [
        line[:-1]
        for line in printed.splitlines(keepends=True)
        if line.endswith("\n") and line.startswith(prefix)
    ]


def test_a_line_cut_by_the_kill_is_not_read():
    printed = 'SAVED [1, "w0 "]\nSAVED [2, "w0 w1 "]\nSAVED [3, "w0 w1 w'
    assert complete_lines(printed, "SAVED ") == ['SAVED [1, "w0 "]', 'SAVED [2, "w0 w1 "]']


def test_sigkill_at_random_moments_loses_nothing_checkpointed(paths):
    seed = int(os.environ.get(SEED_VARIABLE) or random.randrange(10**6))
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
        context = f"{SEED_VARIABLE}={seed}, attempt {attempt}, kill after {delay:.3f}s"
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
    with sqlite3.connect(paths.database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
