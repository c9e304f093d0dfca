"""The keys the window's menu shows (desktop/window.py MENU_COMMANDS) are the page's own: the
shortcuts panel lists them, and pressing them in a browser page does the command."""

from __future__ import annotations

from playwright.sync_api import expect

from desktop.window import MENU_COMMANDS

DONE = {
    "new-chat": "location.hash === '#/new'",
    "search": "document.activeElement?.id === 'search'",
}


def test_menu_keys_are_listed_in_the_panel_and_work_in_the_page(page, server):
    session = server.api.post("/api/sessions", json={"title": "Somewhere else"}).json()
    assert sorted(DONE) == sorted(command for _, _, command in MENU_COMMANDS)
    for label, keys, command in MENU_COMMANDS:
        page.evaluate(f"location.hash = '#/s/{session['id']}'; document.activeElement?.blur()")
        page.wait_for_function(f"() => !({DONE[command]})")
        page.keyboard.press(keys.replace("Ctrl", "Control"))
        page.wait_for_function(f"() => {DONE[command]}")

        page.keyboard.press("Control+/")
        panel = page.locator("#help-dialog")
        expect(panel).to_be_visible()
        shown = " + ".join(key for key in keys.split("+") if key != "Ctrl")
        row = panel.locator("dt", has_text=shown).first
        expect(row).to_contain_text("Ctrl")
        expect(row.locator("xpath=following-sibling::dd[1]")).to_contain_text(
            label, ignore_case=True
        )
        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()
