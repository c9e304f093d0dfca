"""UI tests: a real ``hearth serve`` with the fake model server, driven by Debian's Chromium
through Playwright. One server and one browser per module; each test gets a fresh page."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("HEARTH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright_api = pytest.importorskip("playwright.sync_api")


class Served:
    """One ``hearth serve --port 0`` subprocess on its own data folder."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        full_env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "HEARTH_SECRETS_BACKEND": "file",
            "HEARTH_DATA_DIR": str(data_dir),
        }
        for name in ("HEARTH_BASE_URL", "HEARTH_API_KEY", "HEARTH_MODEL", "HEARTH_TOKEN"):
            full_env.pop(name, None)
        full_env.update(env)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "desktop.cli",
                "serve",
                "--port",
                "0",
                "--data-dir",
                str(data_dir),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=full_env,
            cwd=ROOT,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(
            target=lambda: lines.put(self.process.stdout.readline()), daemon=True
        ).start()
        try:
            line = lines.get(timeout=20).strip()
        except queue.Empty:
            line = ""
        if "/?token=" not in line:
            self.process.kill()
            raise RuntimeError(f"hearth serve did not start: {self.process.stderr.read()}")
        self.sign_in_url = line
        self.url, self.token = line.split("/?token=")
        self.api = httpx.Client(
            base_url=self.url, timeout=10, headers={"Authorization": f"Bearer {self.token}"}
        )

    def new_session(self, **body: Any) -> dict:
        answer = self.api.post("/api/sessions", json=body)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def session(self, session_id: str) -> dict:
        return self.api.get(f"/api/sessions/{session_id}").json()

    def close(self) -> None:
        self.api.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        for stream in (self.process.stdout, self.process.stderr):
            stream.close()


@pytest.fixture(scope="module")
def fake():
    with FakeOpenAIServer() as server:
        yield server


def fake_env(fake: FakeOpenAIServer) -> dict[str, str]:
    return {
        "HEARTH_BASE_URL": fake.base_url,
        "HEARTH_MODEL": "fake-model",
        "HEARTH_API_KEY": "sk-fake",
    }


@pytest.fixture(scope="module")
def server(fake, tmp_path_factory):
    served = Served(tmp_path_factory.mktemp("ui-served"), fake_env(fake))
    yield served
    served.close()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, served: Served, *, theme: str | None = None, viewport=None, path: str = ""):
    """A fresh signed-in page, ready (the app sets body[data-ready])."""
    context = browser.new_context(
        viewport=viewport or {"width": 1280, "height": 820}, color_scheme=theme or "light"
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served.url)
    context.set_default_timeout(15000)
    page = context.new_page()
    page.errors = []
    page.dialogs = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(served.sign_in_url)
    if path:
        page.goto(served.url + "/" + path)
    page.wait_for_selector("body[data-ready=true]")
    return page


@pytest.fixture
def page(browser, server):
    page = open_page(browser, server)
    yield page
    assert page.errors == [], page.errors
    page.context.close()


def shoot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
