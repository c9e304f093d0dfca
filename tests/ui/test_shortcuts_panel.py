"""The shortcuts panel lists every key the page binds, each where it works, and the window's
own (Ctrl+Q) only in the window; the keys it lists do what it says, in a real browser."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.ui.conftest import open_page, shoot


def row(panel, group: str, what: str):
    return panel.get_by_role("region", name=group).locator("dd", has_text=what)


def test_the_panel_lists_the_keys_of_the_message_box_search_and_list(page, server, fake):
    fake.reply(text="First answer.")
    made = server.new_session(title="Keys")
    run = server.start_run(made["id"], "My first question")
    server.events(run)
    page.goto(server.url + f"/#/s/{made['id']}")
    expect(page.locator(".turn.user")).to_have_count(1)

    page.keyboard.press("Control+/")
    panel = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(panel).to_be_visible()
    for group, what in [
        ("Anywhere", "New chat"),
        ("Anywhere", "Search conversations"),
        ("In the message box", "Edit your last message"),
        ("In the message box", "Cancel editing"),
        ("Search and the conversation list", "go to the results"),
        ("Search and the conversation list", "Move between conversations"),
    ]:
        expect(row(panel, group, what)).to_have_count(1)
    edit_row = row(panel, "In the message box", "Edit your last message")
    expect(edit_row.locator("xpath=preceding-sibling::dt[1]")).to_have_text("↑")
    expect(panel.get_by_text("Quit Hearth")).to_have_count(0)  # not in a browser tab
    shoot(page, "shortcuts-panel")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()

    # ↑ in the empty message box edits the last message; Esc cancels.
    box = page.get_by_role("textbox", name="Message Hearth")
    box.focus()
    page.keyboard.press("ArrowUp")
    expect(page.locator("#composer-editing")).to_be_visible()
    expect(box).to_have_value("My first question")
    page.keyboard.press("Escape")
    expect(page.locator("#composer-editing")).to_be_hidden()

    # ↓ from the search box reaches the results.
    page.keyboard.press("Control+k")
    page.keyboard.type("Keys")
    expect(page.locator("#session-list .session-link").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#session-list .session-link").first).to_be_focused()


def test_the_window_lists_its_quit_key(browser, server):
    page = open_page(browser, server)
    page.evaluate("document.documentElement.dataset.desktop = '1'")
    page.keyboard.press("Control+/")
    panel = page.get_by_role("dialog", name="Keyboard shortcuts")
    quit_row = row(panel, "In the Hearth window", "Quit Hearth")
    expect(quit_row).to_have_count(1)
    expect(quit_row.locator("xpath=preceding-sibling::dt[1]")).to_contain_text("Q")
    page.context.close()
