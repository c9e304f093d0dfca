"""Another process holds a write lock on Hearth's database for 15 s while a turn runs: the turn
waits or fails with a sentence, and its text is saved once the lock goes, with no restart."""

from __future__ import annotations

import subprocess
import sys

from tests.server.conftest import wait_for
from tests.server.faults_support import DATABASE, events_until_end, integrity, messages

DEFAULT_ANSWER = "Hello from the fake model."
HOLD_S = 15

HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("LOCKED", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


def test_a_write_lock_held_by_another_process(start_server, fake, tmp_path):
    hearth = start_server(tmp_path / "data")
    session_id = hearth.new_session()["id"]
    answer = "".join(f"sentence {i}. " for i in range(300))
    fake.reply(text=answer, chunks=20, delay=0.1)  # ~2 s
    run_id = hearth.start_run(session_id, "Tell me while the database is locked")
    holder = None

    def on_event(event):
        nonlocal holder
        if holder is None and event.type == "text.delta":
            holder = subprocess.Popen(
                [sys.executable, "-c", HOLDER, str(hearth.data_dir / DATABASE), str(HOLD_S)],
                stdout=subprocess.PIPE,
                text=True,
            )
            assert holder.stdout.readline().strip() == "LOCKED"

    try:
        end = events_until_end(hearth, run_id, on_event)[-1]
        assert holder is not None
        if end.type == "run.failed":  # Hearth gave up waiting: it says why
            assert end.data.get("code") == "store_busy", end.data
            assert "locked" in end.data["error"] and "try again" in end.data["error"], end.data
        else:  # Hearth waited for the lock to go
            assert end.type == "run.completed", end
        # Reads go on meanwhile (WAL): the user's message is there.
        assert messages(hearth, session_id)[0][2] == "Tell me while the database is locked"
        assert holder.wait(HOLD_S + 5) == 0
    finally:
        if holder is not None and holder.poll() is None:
            holder.kill()

    # The lock has gone: the answer is saved without a restart, and the next turn works.
    wait_for(lambda: hearth.session(session_id)["active_run"] is None, timeout=5)
    assert messages(hearth, session_id) == [
        ("user", "complete", "Tell me while the database is locked"),
        ("assistant", "complete", answer),
    ]
    assert hearth.client.get(f"/api/runs/{run_id}").json()["status"] == "completed"
    next_run = hearth.start_run(session_id, "And now?")
    assert events_until_end(hearth, next_run)[-1].type == "run.completed"
    assert messages(hearth, session_id)[-1] == ("assistant", "complete", DEFAULT_ANSWER)
    assert integrity(hearth.data_dir) == "ok"
