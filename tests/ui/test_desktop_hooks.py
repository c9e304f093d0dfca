"""The page's side of the desktop window's contract (docs/desktop.md): the window marks the page
and dispatches `hearth:desktop-ready`; the page then offers Open data folder / Open logs, which
ask the window through `hearth:desktop` events, and obeys the menu's `hearth:command` events.
The window is simulated here in Chromium; tests/desktop checks the real one."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import open_page

MARK_AND_ANNOUNCE = """() => {
  document.documentElement.dataset.desktop = "1";
  window.dispatchEvent(new Event("hearth:desktop-ready"));
}"""

RECORD_ASKS = """() => {
  window.__asked = [];
  window.addEventListener("hearth:desktop", (event) => window.__asked.push(event.detail));
}"""

COMMAND = """(command) => window.dispatchEvent(
  new CustomEvent("hearth:command", { detail: { command } }))"""

ACTIONS = (("Open data folder", "open_data_folder"), ("Open logs", "open_logs"))


def foot_button(page, name: str):
    return page.locator(".sidebar-foot").get_by_role("button", name=name, exact=True)


def test_plain_browser_has_no_desktop_actions(page):
    for name, _ in ACTIONS:
        assert foot_button(page, name).count() == 0  # hidden: not even in the accessibility tree
    assert page.evaluate("document.documentElement.dataset.desktop") is None
    # A hearth:desktop-ready alone (no mark) does not show them either.
    page.evaluate("window.dispatchEvent(new Event('hearth:desktop-ready'))")
    expect(page.locator("#open-data-folder")).to_be_hidden()
    expect(page.locator("#open-logs")).to_be_hidden()


def assert_actions_ask_the_window(page) -> None:
    page.evaluate(RECORD_ASKS)
    for index, (name, action) in enumerate(ACTIONS):
        button = foot_button(page, name)
        button.wait_for()
        button.click()
        page.wait_for_function(f"() => window.__asked.length === {index + 1}")
        assert page.evaluate("window.__asked")[index] == {"action": action}


def test_window_marking_after_load_shows_actions_that_ask_the_window(page):
    expect(page.locator("#open-data-folder")).to_be_hidden()
    page.evaluate(MARK_AND_ANNOUNCE)
    assert_actions_ask_the_window(page)


def test_window_marking_before_the_modules_load(browser, server):
    """The window's script may run before main.js: the mark alone is enough."""
    context = browser.new_context(viewport={"width": 1280, "height": 820})
    # "interactive" comes when parsing ends, before the deferred module scripts run.
    context.add_init_script(
        """document.addEventListener("readystatechange", () => {
          if (document.readyState !== "interactive") return;
          document.documentElement.dataset.desktop = "1";
          window.dispatchEvent(new Event("hearth:desktop-ready"));
        });"""
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.sign_in_url)
    page.wait_for_selector("body[data-ready=true]")
    assert_actions_ask_the_window(page)
    assert errors == []
    context.close()


@pytest.mark.parametrize("viewport", [None, {"width": 390, "height": 760}], ids=["wide", "phone"])
def test_menu_commands_new_chat_and_search(browser, server, viewport):
    session = server.new_session(title="Menu commands")
    page = open_page(browser, server, viewport=viewport, path=f"#/s/{session['id']}")
    page.wait_for_selector("#chat-title:has-text('Menu commands')")
    page.evaluate(MARK_AND_ANNOUNCE)
    page.evaluate(COMMAND, "search")
    page.wait_for_function("() => document.activeElement.id === 'search'")
    expect(page.locator("#search")).to_be_visible()  # on a phone the sidebar opened for it
    page.keyboard.press("Escape")
    page.evaluate(COMMAND, "new-chat")
    page.wait_for_function("() => location.hash === '#/new'")
    page.wait_for_selector("#chat-title:text-is('New conversation')")
    page.wait_for_function("() => document.activeElement.id === 'composer-input'")
    # An unknown command does nothing (and throws nothing).
    page.evaluate(COMMAND, "no-such-command")
    page.evaluate("window.dispatchEvent(new CustomEvent('hearth:command'))")
    assert page.evaluate("location.hash") == "#/new"
    assert page.errors == []
    page.context.close()


def attach_and_send(server, fake, data: bytes, name: str, kind: str) -> dict:
    from urllib.parse import quote

    answer = server.api.post(
        "/api/attachments", content=data, headers={"Content-Type": kind, "X-Filename": quote(name)}
    )
    assert answer.status_code == 201, answer.text
    session = server.new_session(title="With a file")
    fake.reply(text="Read it.")
    run = server.api.post(
        f"/api/sessions/{session['id']}/runs",
        json={"content": "Here is a file", "attachments": [answer.json()["id"]]},
    )
    assert run.status_code == 202, run.text
    return {"session": session, "attachment": answer.json()}


def test_a_document_chip_asks_the_window_to_open_it_and_a_browser_downloads_it(
    browser, server, fake
):
    from tests.fakes import attachment_files as files

    sent = attach_and_send(server, fake, files.pdf(["Hi"]), "notes.pdf", "application/pdf")
    page = open_page(browser, server, path=f"#/s/{sent['session']['id']}")
    chip = page.locator(".attachment-file")
    expect(chip).to_have_attribute("title", "Download notes.pdf")  # a plain browser tab
    page.evaluate(MARK_AND_ANNOUNCE)
    page.evaluate(RECORD_ASKS)
    page.goto(server.url + "/#/new")
    page.goto(server.url + f"/#/s/{sent['session']['id']}")
    chip = page.locator(".attachment-file")
    expect(chip).to_have_attribute("title", "Open notes.pdf")
    chip.click()
    page.wait_for_function("() => window.__asked.length === 1")
    assert page.evaluate("window.__asked")[0] == {
        "action": "open_attachment",
        "id": sent["attachment"]["id"],
    }
    page.context.close()
