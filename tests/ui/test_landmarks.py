"""Landmarks and names a screen reader (and a test) can find: the sidebar is navigation, the
conversation with its composer is main, the composer is the "Message Hearth" textbox, and every
button of a chat with tool cards, an approval and versions has a name."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.ui.conftest import open_page
from tests.ui.test_a11y import assert_clean


def send(page, text: str) -> None:
    page.get_by_role("textbox", name="Message Hearth").fill(text)
    page.keyboard.press("Enter")


def unnamed_buttons(region) -> list[str]:
    """Lines of the region's accessibility tree that are buttons without a name."""
    tree = region.aria_snapshot()
    return [line for line in tree.splitlines() if re.match(r"^\s*- button\s*(:.*)?$", line)]


def test_landmarks_and_named_buttons_on_a_chat_with_tools(browser, server, fake):
    page = open_page(browser, server)
    nav = page.get_by_role("navigation", name="Conversations")
    expect(nav).to_be_visible()
    expect(nav.get_by_role("button", name="New chat")).to_be_visible()
    expect(nav.get_by_role("searchbox", name="Search conversations")).to_be_visible()
    main = page.get_by_role("main")
    expect(main).to_have_count(1)
    box = main.get_by_role("textbox", name="Message Hearth")
    expect(box).to_be_visible()
    expect(main.get_by_role("button", name="Send")).to_be_visible()
    expect(main.get_by_role("log", name="Messages")).to_be_attached()

    # A turn with a tool card, then a second version of its answer.
    fake.reply(tool_calls=[{"name": "list_directory", "arguments": {"path": "."}}])
    fake.reply(text="Listed the folder.")
    send(page, "Look around")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    fake.reply(text="Listed it again.")
    main.get_by_role("button", name="Regenerate").click()
    expect(main.get_by_role("group", name="Versions of this answer")).to_be_visible()
    page.wait_for_selector(".turn.assistant:last-child[data-status=completed]")
    expect(main.get_by_role("button", name="Previous version of this answer")).to_be_enabled()
    expect(main.get_by_role("button", name="Next version of this answer")).to_be_disabled()

    # A second question whose tool waits for approval.
    fake.reply(tool_calls=[{"name": "write_file", "arguments": {"path": "a.txt", "content": "x"}}])
    fake.reply(text="Not written.")
    send(page, "Write a file")
    approval = main.get_by_role("region", name="Approval needed: write_file")
    expect(approval).to_be_visible()
    expect(approval.get_by_role("button", name="Allow", exact=True)).to_be_visible()
    expect(approval.get_by_role("button", name="Deny", exact=True)).to_be_visible()
    page.locator(".tool-card").first.locator("summary").click()  # an open card too
    assert unnamed_buttons(main) == []
    assert_clean(page, "chat with tool cards and an approval waiting")

    approval.get_by_role("button", name="Deny", exact=True).click()
    page.wait_for_selector(".turn.assistant:last-child[data-status=completed]")
    users = main.get_by_role("article", name="You")
    answers = main.get_by_role("article", name="Assistant")
    expect(users).to_have_count(2)
    expect(answers).to_have_count(2)
    for user in (users.first, users.last):
        for name in ("Copy message", "Edit", "Fork"):
            expect(user.get_by_role("button", name=name, exact=True)).to_have_count(1)
    for answer in (answers.first, answers.last):
        for name in ("Copy answer", "Regenerate", "Fork"):
            expect(answer.get_by_role("button", name=name, exact=True)).to_have_count(1)
    # The card opened while the approval waited stays open once the run has ended.
    card = page.locator(".tool-card").first
    expect(card).to_have_attribute("open", "")
    expect(card.get_by_role("button", name="Copy write_file output")).to_be_visible()
    assert unnamed_buttons(main) == []
    assert unnamed_buttons(page.get_by_role("navigation")) == []
    assert_clean(page, "chat with tool cards, a denied call and versions")
    assert page.errors == [], page.errors
    page.context.close()
