"""A tab left open while ``hearth serve`` restarts on the same port: the new server listens at
once, and within 2 s the page says plainly what to do instead of reconnecting forever."""

from __future__ import annotations

import socket
import threading
import time

from playwright.sync_api import expect

from tests.server.conftest import HearthServer
from tests.ui.conftest import fake_env, open_page

TOKEN = "a-fixed-token-for-this-test-0123"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Fixed(HearthServer):
    def __init__(self, data_dir, env, port: int) -> None:
        super().__init__(
            data_dir, None, env={**env, "HEARTH_TOKEN": TOKEN}, args=("--port", str(port))
        )
        self.sign_in_url = self.ready_line


def test_restart_mid_answer_tells_the_page_what_to_do(browser, fake, tmp_path):
    port = free_port()
    first = Fixed(tmp_path / "data", fake_env(fake), port)
    again = None
    page = open_page(browser, first)
    hold = threading.Event()
    try:
        fake.reply(text="an answer that the restart cuts short", chunks=10, hold=hold, hold_after=3)
        page.fill("#composer-input", "Keep going")
        page.keyboard.press("Enter")
        page.wait_for_function(
            "() => (document.querySelector('.turn.assistant .md')?.textContent || '').length > 0"
        )
        expect(page.locator("#stop")).to_be_visible()

        assert first.stop() == 0  # the tab's event stream and keep-alive connections are open
        again = Fixed(tmp_path / "data", fake_env(fake), port)  # at once, on the same port
        restarted = time.monotonic()
        notice = page.locator(".toast", has_text="not signed in")
        notice.wait_for(timeout=2000)
        assert time.monotonic() - restarted < 2.0
        expect(notice).to_contain_text("open the sign-in link Hearth printed")
        expect(page.locator("#stop")).to_be_hidden()  # no Stop for a run the page cannot follow
        expect(page.locator("#connection")).to_be_hidden()
        expect(page.locator(".toast", has_text="not signed in")).to_have_count(1)

        page.goto(again.sign_in_url)  # the link it printed signs the page in again
        page.wait_for_selector("body[data-ready=true]")
        expect(page.locator(".toast", has_text="not signed in")).to_have_count(0)
    finally:
        hold.set()
        page.context.close()
        first.close()
        if again is not None:
            again.close()


def test_a_call_refused_after_a_restart_shows_the_notice_once(browser, fake, tmp_path):
    port = free_port()
    first = Fixed(tmp_path / "data", fake_env(fake), port)
    again = None
    page = open_page(browser, first)
    try:
        assert first.stop() == 0
        again = Fixed(tmp_path / "data", fake_env(fake), port)
        page.fill("#composer-input", "Anyone there?")
        page.keyboard.press("Enter")
        notice = page.locator(".toast", has_text="not signed in")
        expect(notice).to_have_count(1)
        expect(page.locator(".toast")).to_have_count(1)  # not also the refused call's sentence
    finally:
        page.context.close()
        first.close()
        if again is not None:
            again.close()


def test_an_idle_tab_shows_the_notice_by_itself(browser, fake, tmp_path):
    port = free_port()
    first = Fixed(tmp_path / "data", fake_env(fake), port)
    again = None
    page = open_page(browser, first)
    try:
        assert first.stop() == 0
        again = Fixed(tmp_path / "data", fake_env(fake), port)
        restarted = time.monotonic()
        # the sidebar's poll (every 3 s while the page is visible) is refused and says so
        page.locator(".toast", has_text="not signed in").wait_for(timeout=5000)
        assert time.monotonic() - restarted < 4.0
    finally:
        page.context.close()
        first.close()
        if again is not None:
            again.close()
