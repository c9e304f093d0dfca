"""The window's tests: a real ``hearth`` on a real X server (Xvfb), checked from outside.

Xvfb picks its own free display number (``-displayfd``). The tests skip, with the reason, only
when Xvfb, the X tools or Qt's web engine are not installed; CI installs them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.desktop.xvfb import start_xvfb

X_TOOLS = ("Xvfb", "xdotool", "xwininfo", "import", "convert")
LAUNCH_TIMEOUT = 60.0  # generous: CI shares two cores with the other suites


def missing_gui() -> str | None:
    missing = [tool for tool in X_TOOLS if shutil.which(tool) is None]
    if missing:
        return (
            f"not installed: {', '.join(missing)} (apt install xvfb xdotool x11-utils imagemagick)"
        )
    for module in ("webview", "PySide6.QtWebEngineWidgets"):
        try:
            if importlib.util.find_spec(module) is None:
                return f"{module} is not installed (pip install 'pywebview[pyside6]')"
        except ImportError:
            return f"{module} is not installed (pip install 'pywebview[pyside6]')"
    return None


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    """Wait until ``condition()`` is truthy (another process's state: there is no event to
    block on, so look again every 50 ms) and return it; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def display() -> Iterator[str]:
    reason = missing_gui()
    if reason:
        pytest.skip(reason)
    xvfb, display = start_xvfb()
    if display == ":":
        xvfb.kill()
        pytest.fail("Xvfb did not start")
    try:
        yield display
    finally:
        xvfb.terminate()
        xvfb.wait(10)


class Hearth:
    """One ``hearth`` (window) process on a data dir, and what can be seen of it from outside."""

    def __init__(self, data: Path, display: str, extra_env: dict[str, str] | None = None):
        self.data = data
        self.display = display
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DISPLAY": display,
            "HEARTH_DATA_DIR": str(data),
            **(extra_env or {}),
        }
        self.env.pop("WAYLAND_DISPLAY", None)
        self.env.pop("QT_QPA_PLATFORM", None)
        self.process: subprocess.Popen | None = None
        self._log_start = 0

    def start(self, *args: str) -> subprocess.Popen:
        self._log_start = len(self._read_log())  # an earlier process's lines are not ours
        self.process = subprocess.Popen(
            [sys.executable, "-m", "desktop.cli", *args],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own group: Qt's helper processes go with it
        )
        return self.process

    def run(self, *args: str, timeout: float = LAUNCH_TIMEOUT) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "desktop.cli", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    @property
    def log(self) -> str:
        """The server log since this process started."""
        return self._read_log()[self._log_start :]

    def _read_log(self) -> str:
        try:
            return (self.data / "logs" / "server.log").read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def wait_ready(self) -> None:
        def ready():
            if self.process is not None and self.process.poll() is not None:
                out, err = self.process.communicate()
                pytest.fail(f"hearth exited with {self.process.returncode}:\n{out}\n{err}")
            return "ui ready:" in self.log

        wait_for(ready, LAUNCH_TIMEOUT, "the sessions list on screen (server.log)")

    def server(self) -> dict:
        return json.loads((self.data / "server.json").read_text())

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        info = self.server()
        request = urllib.request.Request(
            info["url"] + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {info['token']}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
        return json.loads(raw) if raw else {}

    def x(self, *command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            command, env={**os.environ, "DISPLAY": self.display}, capture_output=True, text=True
        )

    def windows(self, name: str) -> list[str]:
        found = self.x("xdotool", "search", "--onlyvisible", "--name", name)
        return found.stdout.split()

    def screenshot(self, path: Path) -> int:
        """Save the whole screen as PNG; return how many distinct colours it has."""
        self.x("import", "-window", "root", str(path))
        colours = self.x("convert", str(path), "-format", "%k", "info:")
        return int(colours.stdout.strip() or 0)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        process = self.process
        if process is None or process.poll() is not None:
            return process.returncode if process else None
        os.kill(process.pid, sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        return process.returncode

    def kill_group(self) -> None:
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(10)


@pytest.fixture
def hearth_factory(display: str, tmp_path: Path) -> Iterator[Callable[..., Hearth]]:
    started: list[Hearth] = []

    def make(data: Path | None = None, env: dict[str, str] | None = None) -> Hearth:
        instance = Hearth(data or tmp_path / "data", display, env)
        started.append(instance)
        return instance

    yield make
    for instance in started:
        if instance.process is not None and instance.process.poll() is None:
            instance.kill_group()
        for stream in (
            (instance.process.stdout, instance.process.stderr) if instance.process else ()
        ):
            if stream:
                stream.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "packaging: builds the bundle with PyInstaller (about a minute)"
    )
