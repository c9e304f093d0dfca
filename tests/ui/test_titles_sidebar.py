"""The sidebar in Chromium: a new chat's model-written title appears after its first answer
without a reload, and a refresh during a delete's undo time no longer loses the chat."""

from __future__ import annotations

import threading

from playwright.sync_api import expect

from tests.fakes import Reply
from tests.ui.conftest import open_page
from tests.ui.test_versions import import_session


def row(page, session_id: str):
    return page.locator(f"#session-list li.session[data-id='{session_id}']")


def test_the_model_names_a_new_chat_after_its_first_answer(browser, server, fake):
    page = open_page(browser, server)
    hold = threading.Event()
    fake.reply(text="Feed it flour and water daily.", hold=hold, hold_after=1)
    fake.title(Reply(text='"Sourdough starter care."'))
    page.fill("#composer-input", "## How do I keep a **sourdough** starter alive?")
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.hash.startsWith('#/s/')")
    sid = page.evaluate("location.hash").split("/")[-1]

    # While it answers: the first line, as plain text.
    expect(row(page, sid).locator(".session-title")).to_have_text(
        "How do I keep a sourdough starter alive?"
    )
    hold.set()
    page.wait_for_selector(".turn.assistant[data-status=completed]")

    # Then the model's title, in the list and the header, with no reload.
    expect(row(page, sid).locator(".session-title")).to_have_text("Sourdough starter care")
    expect(page.locator("#chat-title")).to_have_text("Sourdough starter care")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert server.api.get(f"/api/sessions/{sid}").json()["title_source"] == "model"
    assert page.errors == []
    page.context.close()


def test_undo_after_a_refresh_brings_the_chat_back(browser, server, fake):
    """The race behind "after Regenerate in another chat, a chat vanished from the sidebar":
    a list refresh that lands while a delete can still be undone (Regenerate refreshes the list
    when its run starts and when it ends) drew the list without the chat, and Undo then showed
    the old row, no longer in the page. Later list answers are held back here so that the 3 s
    poll cannot redraw the list and hide the fault."""
    kept = import_session(server, "Chat I almost deleted", [{"role": "user", "content": "Keep me"}])
    other = import_session(
        server,
        "Chat I regenerate in",
        [
            {"role": "user", "content": "Say something"},
            {"role": "assistant", "content": "Something."},
        ],
    )
    page = open_page(browser, server, path=f"#/s/{other['id']}")
    page.get_by_text("Something.").wait_for()
    lists = []
    page.on(
        "response",
        lambda r: lists.append(r.url) if "/api/sessions?" in r.url and r.ok else None,
    )

    target = row(page, kept["id"])
    target.hover()
    target.get_by_role("button", name="Delete Chat I almost deleted").click()
    expect(target).to_be_hidden()
    before = len(lists)
    fake.reply(text="Something else.")
    page.locator("#messages").get_by_role("button", name="Regenerate", exact=True).click()
    page.wait_for_selector(".turn.assistant[data-status=completed] >> text=Something else.")
    while len(lists) < before + 2:  # the refreshes at the run's start and at its end
        page.wait_for_event("response", lambda r: "/api/sessions?" in r.url, timeout=5000)

    held = []
    page.route("**/api/sessions?*", lambda route: held.append(route))
    page.locator(".toast button:has-text('Undo')").click()

    expect(row(page, kept["id"])).to_be_visible(timeout=2000)
    expect(row(page, other["id"])).to_be_visible()
    assert server.api.get(f"/api/sessions/{kept['id']}").status_code == 200
    page.unroute("**/api/sessions?*")
    for route in held:
        route.continue_()
    page.context.close()
