"""The data dir turns read-only while Hearth runs (an ext4 file system with errors=remount-ro,
made to fail by the kernel's own test hook, the way a real disk turns read-only under open
files), or is read-only at start: a clear sentence, no traceback, nothing lost."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.server.conftest import HEARTH_ENV, ROOT
from tests.server.faults_support import (
    assert_sentence,
    events_until_end,
    ext4,
    integrity,
    messages,
    saved_text,
    tmpfs,
)

DEFAULT_ANSWER = "Hello from the fake model."


def serve_once(data_dir, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """``hearth serve`` on ``data_dir``, expected to refuse to start."""
    env = {k: v for k, v in os.environ.items() if k not in HEARTH_ENV}
    env.update(PYTHONPATH=str(ROOT), HEARTH_SECRETS_BACKEND="file")
    command = [sys.executable, "-m", "desktop.cli", "serve", "--port", "0"]
    return subprocess.run(
        [*command, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )


def assert_refused(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode not in (0, None), result
    assert result.stdout == "", result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0].lower(), lines[0]


def test_data_dir_turns_read_only_during_a_turn(start_server, fake, tmp_path):
    with ext4(tmp_path) as disk:
        data = disk.folder / "data"
        hearth = start_server(data)
        session_id = hearth.new_session()["id"]
        first = hearth.start_run(session_id, "Before the disk fails")
        assert events_until_end(hearth, first)[-1].type == "run.completed"

        answer = "".join(f"line {i}\n" for i in range(400))
        fake.reply(text=answer, chunks=60, delay=0.05)  # ~3 s
        run_id = hearth.start_run(session_id, "Count for me")
        state = {}

        def on_event(event):
            if "saved" not in state and event.type == "text.delta":
                saved = saved_text(data, run_id)
                if saved:
                    os.sync()  # what was saved is on the disk, as the kernel would have it soon
                    disk.fail()
                    state["saved"] = saved

        end = events_until_end(hearth, run_id, on_event)[-1]
        assert "saved" in state, "no checkpoint was saved while the answer streamed"
        assert disk.read_only
        assert end.type == "run.failed", end
        assert end.data.get("code") == "store_read_only", end.data
        assert "writable" in end.data["error"], end.data

        refused = hearth.client.post(
            f"/api/sessions/{session_id}/runs", json={"content": "Are you there?"}
        )
        assert_sentence(refused, 503, "store_read_only", "writable")
        new = hearth.client.post("/api/sessions", json={"title": "Another"})
        assert new.status_code == 503 or new.status_code == 201, new.text
        assert "Traceback" not in new.text
        shown = [(r, c) for r, _, c in messages(hearth, session_id)]
        assert shown == [
            ("user", "Before the disk fails"),
            ("assistant", DEFAULT_ANSWER),
            ("user", "Count for me"),
        ]

        code = hearth.stop()
        stderr = hearth.process.stderr.read()
        assert code == 0 and "Traceback" not in stderr, stderr
        # Read-only at start: one clear line, no traceback.
        assert_refused(serve_once(data), "cannot write")

        # The disk is mounted again (the kernel replays its journal): nothing saved is lost.
        disk.unmount()
        disk.mount()
        again = start_server(data)
        shown = messages(again, session_id)
        assert shown[:3] == [
            ("user", "complete", "Before the disk fails"),
            ("assistant", "complete", DEFAULT_ANSWER),
            ("user", "complete", "Count for me"),
        ]
        role, status, text = shown[3]
        assert (role, status) == ("assistant", "interrupted")
        assert text.startswith(state["saved"]) and answer.startswith(text)
        next_run = again.start_run(session_id, "Go on")
        assert events_until_end(again, next_run)[-1].type == "run.completed"
        assert messages(again, session_id)[-1] == ("assistant", "complete", DEFAULT_ANSWER)
        again.stop()
        assert integrity(data) == "ok"


def test_read_only_at_start(start_server, fake, tmp_path):
    with tmpfs(tmp_path / "disk", size="16m") as folder:
        data = folder / "data"
        hearth = start_server(data)
        session_id = hearth.new_session()["id"]
        run_id = hearth.start_run(session_id, "Keep this")
        assert events_until_end(hearth, run_id)[-1].type == "run.completed"
        assert hearth.stop() == 0
        before = sorted(os.listdir(data))

        remounted = subprocess.run(["mount", "-o", "remount,ro", str(folder)], capture_output=True)
        assert remounted.returncode == 0, remounted.stderr
        try:
            assert_refused(serve_once(data), "cannot write")
            assert_refused(serve_once(folder / "new"), "cannot create", "read-only")
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=True)

        assert sorted(os.listdir(data)) == before
        again = start_server(data)
        assert [(r, c) for r, _, c in messages(again, session_id)] == [
            ("user", "Keep this"),
            ("assistant", DEFAULT_ANSWER),
        ]
        again.stop()
        assert integrity(data) == "ok"
