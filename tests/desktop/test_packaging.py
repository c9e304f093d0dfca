"""The packaged app: build the bundle (PyInstaller) and the Linux installers, run the bundle
headless, and hold a real turn with it against the fake model server.

Takes about a minute here (most of it PyInstaller); skipped only if PyInstaller is not
installed, which CI installs.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.desktop.conftest import Hearth, wait_for
from tests.fakes import FakeOpenAIServer

pytestmark = [
    pytest.mark.packaging,
    pytest.mark.skipif(
        importlib.util.find_spec("PyInstaller") is None,
        reason="PyInstaller is not installed (pip install pyinstaller)",
    ),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Iterator[Path]:
    dist = tmp_path_factory.mktemp("dist")
    work = tmp_path_factory.mktemp("work")
    installers = sys.platform.startswith("linux")
    command = [
        sys.executable,
        str(ROOT / "build_spec" / "build.py"),
        "--dist",
        str(dist),
        "--work",
        str(work),
        "--fast",
    ]
    if not installers:
        command.append("--no-installers")
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    yield dist
    shutil.rmtree(dist, ignore_errors=True)  # about 800 MB with the installers
    shutil.rmtree(work, ignore_errors=True)


def request(url: str, token: str, method: str = "GET", body: dict | None = None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    return urllib.request.urlopen(req, timeout=30)


def test_the_bundle_serves_headless_and_completes_a_turn(built, tmp_path):
    executable = built / "hearth" / ("hearth.exe" if sys.platform == "win32" else "hearth")
    assert executable.exists()
    version = subprocess.run([str(executable), "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("hearth ")

    with FakeOpenAIServer() as fake:
        fake.reply(text="Hello from the bundle.", chunks=3)
        env = {
            **os.environ,
            "HEARTH_BASE_URL": fake.base_url,
            "HEARTH_MODEL": "fake-model",
            "HEARTH_API_KEY": "sk-test",
        }
        env.pop("PYTHONPATH", None)  # the bundle must carry everything itself
        data = tmp_path / "data"
        server = subprocess.Popen(
            [str(executable), "serve", "--port", "0", "--data-dir", str(data)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        try:
            line = server.stdout.readline()  # printed once it accepts requests
            assert "/?token=" in line, server.stderr.read() if server.poll() is not None else line
            base, token = line.strip().split("/?token=")
            assert json.loads((data / "server.json").read_text())["url"] == base

            with urllib.request.urlopen(f"{base}/api/health", timeout=10) as health:
                assert json.load(health)["status"] == "ok"
            with request(f"{base}/api/sessions", token, "POST", {"title": "Bundled"}) as answer:
                session = json.load(answer)
            with request(
                f"{base}/api/sessions/{session['id']}/runs", token, "POST", {"content": "Hi"}
            ) as answer:
                run = json.load(answer)
            events = []
            with request(f"{base}/api/runs/{run['run_id']}/events", token) as stream:
                for raw in stream:
                    text = raw.decode().strip()
                    if text.startswith("event:"):
                        events.append(text.split(":", 1)[1].strip())
                        if events[-1] in ("run.completed", "run.failed", "run.cancelled"):
                            break
            assert events[-1] == "run.completed", events
            with request(f"{base}/api/sessions/{session['id']}", token) as answer:
                messages = json.load(answer)["messages"]
            assert messages[-1]["role"] == "assistant"
            assert messages[-1]["content"] == "Hello from the bundle."
        finally:
            server.terminate()
            server.wait(30)
    assert server.returncode == 0
    assert not (data / "server.json").exists()


class BundledHearth(Hearth):
    """The bundle's own executable instead of ``python -m desktop.cli``, without PYTHONPATH."""

    def __init__(self, executable: Path, data: Path, display: str):
        super().__init__(data, display)
        self.executable = executable
        self.env.pop("PYTHONPATH", None)  # the bundle must carry everything itself

    def start(self, *args: str) -> subprocess.Popen:
        self.process = subprocess.Popen(
            [str(self.executable), *args],
            env=self.env,
            cwd=self.data.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        return self.process


def test_the_bundle_opens_its_window_and_draws_the_ui(built, display, tmp_path):
    """What the bundle leaves out of Qt (libraries, plugins, ICU data) must not cost the window."""
    hearth = BundledHearth(built / "hearth" / "hearth", tmp_path / "data", display)
    hearth.start()
    try:
        hearth.wait_ready()
        wait_for(lambda: hearth.windows("^Hearth$"), 30, "a visible window titled Hearth")
        wait_for(lambda: "first request: GET /api/sessions -> " in hearth.log, 30, "a request")
        assert "first request: GET /api/sessions -> 200" in hearth.log
        shot = tmp_path / "window.png"
        wait_for(lambda: hearth.screenshot(shot) > 50, 30, "more than 50 colours on screen")
        assert hearth.stop(signal.SIGTERM) == 0
    finally:
        if hearth.process.poll() is None:
            hearth.kill_group()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux installers")
def test_the_linux_installers_carry_the_app_its_menu_entry_and_icon(built):
    (deb,) = built.glob("hearth_*.deb")
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True).stdout
    for path in (
        "./opt/hearth/hearth",
        "./usr/bin/hearth -> /opt/hearth/hearth",
        "./usr/share/applications/hearth.desktop",
        "./usr/share/icons/hicolor/256x256/apps/hearth.png",
    ):
        assert path in listing, path
    fields = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True).stdout
    assert "Package: hearth" in fields and "Depends:" in fields

    (tarball,) = built.glob("hearth-*-linux-*.tar.gz")
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    top = names[0].split("/")[0]
    for name in ("hearth/hearth", "hearth.desktop", "install.sh", "icons/hearth-256.png"):
        assert f"{top}/{name}" in names, name
