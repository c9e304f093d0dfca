"""One Hearth process per data folder: a second window raises the first; a window and a
`hearth serve` refuse each other's folder with one line; a dead one's lock is taken."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from tests.conftest import ROOT
from tests.desktop.conftest import LAUNCH_TIMEOUT, wait_for
from tests.server.conftest import HearthServer


def stacking_order(hearth) -> list[str]:
    """Top-level window ids, top first (xwininfo lists XQueryTree's stacking order reversed)."""
    tree = hearth.x("xwininfo", "-root", "-children").stdout
    return [line.split()[0] for line in tree.splitlines() if line.strip().startswith("0x")]


def test_second_launch_brings_the_first_window_to_the_front_and_exits(hearth_factory):
    first = hearth_factory()
    first.start()
    first.wait_ready()
    (window,) = wait_for(lambda: first.windows("^Hearth$"), 30, "the window")
    window_id = hex(int(window))

    # another program's window opens on top of Hearth's
    cover = subprocess.Popen(
        ["xmessage", "-name", "cover", "-geometry", "1200x780+0+0", "covering Hearth"],
        env={**os.environ, "DISPLAY": first.display},
    )
    try:
        (cover_window,) = wait_for(lambda: first.windows("^cover$"), 20, "the covering window")
        cover_id = hex(int(cover_window))

        def hearth_on_top() -> bool:
            order = stacking_order(first)
            return order.index(window_id) < order.index(cover_id)

        assert not hearth_on_top()

        second = hearth_factory(data=first.data).run()
        assert second.returncode == 0, second.stderr
        assert "already running" in second.stdout
        assert "Traceback" not in second.stderr
        wait_for(
            lambda: "another launch asked this window to come to the front" in first.log,
            20,
            "the show request in the log",
        )
        wait_for(hearth_on_top, 20, "Hearth's window above the cover")
        assert len(first.windows("^Hearth$")) == 1  # still one window, and one server
        assert json.loads((first.data / "server.json").read_text())["pid"] == first.process.pid
    finally:
        cover.terminate()
        cover.wait(10)
    assert first.stop() == 0


def test_a_crashed_instance_lock_is_taken_over(hearth_factory):
    crashed = hearth_factory()
    crashed.start()
    crashed.wait_ready()
    crashed.kill_group()  # SIGKILL: nothing cleaned up
    lock = json.loads((crashed.data / "hearth.lock").read_text())
    assert lock["pid"] == crashed.process.pid  # the stale lock and server.json are still there
    assert (crashed.data / "server.json").exists()

    again = hearth_factory(data=crashed.data)
    again.start()
    again.wait_ready()
    assert json.loads((again.data / "hearth.lock").read_text())["pid"] == again.process.pid
    assert again.server()["pid"] == again.process.pid
    wait_for(lambda: again.windows("^Hearth$"), 30, "the new window")
    assert again.stop(signal.SIGTERM) == 0


def one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_window_refuses_a_folder_that_hearth_serve_uses(hearth_factory, tmp_path):
    served = HearthServer(tmp_path / "data", fake=None)
    try:
        before = (served.data_dir / "server.json").read_text()
        window = hearth_factory(data=served.data_dir).run()
        line = one_line(window)
        assert "hearth serve" in line and f"pid {served.process.pid}" in line
        assert served.url in line
        assert (served.data_dir / "server.json").read_text() == before
        assert served.client.get("/api/sessions").status_code == 200
    finally:
        served.close()


def test_hearth_serve_refuses_a_folder_that_the_window_uses(hearth_factory):
    first = hearth_factory()
    first.start()
    first.wait_ready()
    info = first.server()
    serve = subprocess.run(
        [sys.executable, "-m", "desktop.cli", "serve", "--port", "0"],
        env=first.env,  # HEARTH_DATA_DIR is the window's folder
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=LAUNCH_TIMEOUT,
    )
    line = one_line(serve)
    assert "window" in line and f"pid {first.process.pid}" in line and info["url"] in line
    assert first.server() == info
    assert first.api("GET", "/api/health")["status"] == "ok"
    assert first.stop() == 0
