"""The disk fills during a turn (a 4 MB tmpfs as the data dir, filled by the test): the user is
told so in a sentence, nothing saved before is lost, and once space is freed the next turn works
without a restart and the answer that could not be saved is saved then."""

from __future__ import annotations

import signal

from tests.server.faults_support import (
    assert_sentence,
    events_until_end,
    fill,
    integrity,
    messages,
    saved_text,
    tmpfs,
    words,
)

DEFAULT_ANSWER = "Hello from the fake model."


def _stream_until_full(hearth, fake, folder, session_id):
    """Start a slow, long answer; fill the disk once a checkpoint has saved part of it.
    Returns (run id, the answer, the text saved before the fill, the filler, the events)."""
    answer = words(12000)  # ~110 KB: more than the WAL has room for once the disk is full
    fake.reply(text=answer, chunks=60, delay=0.05)  # ~3 s
    run_id = hearth.start_run(session_id, "Write me a long story")
    state = {}

    def on_event(event):
        if "filler" not in state and event.type == "text.delta":
            saved = saved_text(hearth.data_dir, run_id)
            if saved:
                state["saved"], state["filler"] = saved, fill(folder)

    events = events_until_end(hearth, run_id, on_event)
    assert "filler" in state, "no checkpoint was saved while the answer streamed"
    return run_id, answer, state["saved"], state["filler"], events


def test_disk_full_during_a_turn_then_space_freed(start_server, fake, tmp_path):
    with tmpfs(tmp_path / "disk") as folder:
        hearth = start_server(folder / "data")
        session_id = hearth.new_session()["id"]
        first = hearth.start_run(session_id, "Before the disk fills")
        assert events_until_end(hearth, first)[-1].type == "run.completed"

        run_id, answer, saved, filler, events = _stream_until_full(hearth, fake, folder, session_id)
        end = events[-1]
        assert end.type == "run.failed", end
        assert "disk" in end.data["error"] and "full" in end.data["error"], end.data
        assert answer.startswith(saved)

        # While the disk is full: a clear JSON sentence, and nothing is lost.
        refused = hearth.client.post(
            f"/api/sessions/{session_id}/runs", json={"content": "Are you there?"}
        )
        assert_sentence(refused, 507, "disk_full", "full", "free")
        shown = messages(hearth, session_id)
        assert [(r, c) for r, _, c in shown] == [
            ("user", "Before the disk fills"),
            ("assistant", DEFAULT_ANSWER),
            ("user", "Write me a long story"),
        ]
        assert integrity(hearth.data_dir) == "ok"

        # Space comes back: the next turn works without a restart, and the answer that
        # could not be saved is saved first, whole.
        filler.unlink()
        next_run = hearth.start_run(session_id, "Are you there?")
        assert events_until_end(hearth, next_run)[-1].type == "run.completed"
        expected = [
            ("user", "complete", "Before the disk fills"),
            ("assistant", "complete", DEFAULT_ANSWER),
            ("user", "complete", "Write me a long story"),
            ("assistant", "complete", answer),
            ("user", "complete", "Are you there?"),
            ("assistant", "complete", DEFAULT_ANSWER),
        ]
        assert messages(hearth, session_id) == expected
        assert hearth.client.get(f"/api/runs/{run_id}").json()["status"] == "completed"
        assert integrity(hearth.data_dir) == "ok"

        # And all of it is on disk: a restarted server shows the same.
        assert hearth.stop() == 0
        again = start_server(folder / "data")
        assert messages(again, session_id) == expected
        assert again.session(session_id)["active_run"] is None
        again.stop()
        assert integrity(folder / "data") == "ok"


def test_restart_while_the_disk_is_full_keeps_what_was_saved(start_server, fake, tmp_path):
    with tmpfs(tmp_path / "disk") as folder:
        hearth = start_server(folder / "data")
        session_id = hearth.new_session()["id"]
        run_id, answer, saved, filler, events = _stream_until_full(hearth, fake, folder, session_id)
        assert events[-1].type == "run.failed", events[-1]

        # A stop while the answer still waits for space ends cleanly.
        code = hearth.stop(signal.SIGTERM)
        stderr = hearth.process.stderr.read()
        assert code == 0 and "Traceback" not in stderr, stderr

        # Starting on the full disk either works or says why in one line.
        try:
            full = start_server(folder / "data")
        except RuntimeError as exc:
            reason = str(exc).split(": ", 1)[1].strip()
            assert "Traceback" not in reason and len(reason.splitlines()) == 1, reason
            assert "full" in reason, reason
        else:
            roles = [(r, c) for r, _, c in messages(full, session_id)]
            assert roles[0] == ("user", "Write me a long story")
            full.stop()

        filler.unlink()
        again = start_server(folder / "data")
        shown = messages(again, session_id)
        assert shown[0] == ("user", "complete", "Write me a long story")
        role, status, text = shown[1]
        assert (role, status) == ("assistant", "interrupted")
        assert text.startswith(saved) and answer.startswith(text)
        assert again.session(session_id)["active_run"] is None
        next_run = again.start_run(session_id, "Go on")
        assert events_until_end(again, next_run)[-1].type == "run.completed"
        assert messages(again, session_id)[-1] == ("assistant", "complete", DEFAULT_ANSWER)
        assert integrity(again.data_dir) == "ok"
