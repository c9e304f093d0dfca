"""A real ``hearth serve`` keeps its data dir private, whatever it found there."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from tests.server.conftest import ROOT, HearthServer, sse_events


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_an_open_data_dir_becomes_private_and_so_does_everything_made_in_it(start_server, tmp_path):
    data = tmp_path / "data"
    (data / "config").mkdir(parents=True)
    (data / "logs").mkdir()
    found = {
        data / "hearth.sqlite3": b"",  # an empty file is an empty SQLite database
        data / "config" / "settings.json": b"{}",
        data / "logs" / "server.log": b"an old line\n",
    }
    for path, content in found.items():
        path.write_bytes(content)
        path.chmod(0o644)
    for folder in (data, data / "config", data / "logs"):
        folder.chmod(0o755)

    server = start_server(data)
    session = server.new_session()
    run_id = server.start_run(session["id"], "Hello")
    assert [e.type for e in sse_events(server.client, run_id)][-1] == "run.completed"
    added = server.client.post(
        "/api/providers", json={"name": "Keyed", "kind": "openai", "api_key": "sk-private-1"}
    )
    assert added.status_code == 201

    made = [
        data / "hearth.sqlite3-wal",
        data / "hearth.sqlite3-shm",
        data / "server.json",
        data / "config" / "secrets.json",
    ]
    for path in [*found, *made]:
        assert mode(path) == 0o600, path
    for folder in (data, data / "config", data / "logs", data / "cache"):
        assert mode(folder) == 0o700, folder
    for root, folders, files in os.walk(data):
        for name in files:
            assert mode(os.path.join(root, name)) & 0o077 == 0, os.path.join(root, name)
        for name in folders:
            assert mode(os.path.join(root, name)) & 0o077 == 0, os.path.join(root, name)


def serve_once(data_dir) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("HEARTH_DATA_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "desktop.cli", "serve", "--port", "0", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=20,
        cwd=ROOT,
    )


def test_a_data_dir_of_another_user_is_refused_in_one_line(tmp_path):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    os.chown(theirs, 65534, 65534)
    result = serve_once(theirs)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "belongs to another user" in lines[0] and str(theirs) in lines[0]
    assert not (theirs / "hearth.sqlite3").exists()


def test_a_database_of_another_user_in_my_dir_is_refused(tmp_path):
    data = tmp_path / "mine"
    data.mkdir()
    planted = data / "hearth.sqlite3"
    planted.write_bytes(b"")
    os.chown(planted, 65534, 65534)
    result = serve_once(data)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "belongs to another user" in result.stderr and str(planted) in result.stderr


def test_a_server_started_again_on_its_own_dir_still_starts(tmp_path, fake):
    first = HearthServer(tmp_path / "data", fake)
    first.close()
    again = HearthServer(tmp_path / "data", fake)
    try:
        assert again.client.get("/api/sessions").status_code == 200
    finally:
        again.close()
