"""UI tests: a real ``hearth serve`` with the fake model server, driven by Debian's Chromium
through Playwright. One server and one browser per module; each test gets a fresh page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fakes import FakeOpenAIServer
from tests.server.conftest import HearthServer

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


class Served(HearthServer):
    """One ``hearth serve --port 0`` subprocess on its own data folder; ``api`` carries
    its token and ``sign_in_url`` is the link the server printed."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        super().__init__(data_dir, None, env=env)
        self.api = self.client
        self.sign_in_url = self.ready_line


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
