"""Copy on every message and tool output (the Markdown source, the output text, "Copied" for
a moment), and ↑ in an empty composer edits the last message of the user's."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.ui.conftest import open_page

ANSWER = "Here is **bold**, `code` and $x^2$.\n\n- one\n- two\n\n```sh\nls -la $HOME\n```"


def send(page, text: str) -> None:
    page.fill("#composer-input", text)
    page.keyboard.press("Enter")


def clipboard(page) -> str:
    return page.evaluate("() => navigator.clipboard.readText()")


def test_copy_message_answer_and_tool_output(browser, server, fake):
    page = open_page(browser, server)
    fake.reply(tool_calls=[{"name": "list_directory", "arguments": {"path": "."}}])
    fake.reply(text=ANSWER)
    send(page, "List it, *then* explain")
    page.wait_for_selector(".turn.assistant[data-status=completed]")

    user = page.locator(".turn.user").last
    user.get_by_role("button", name="Copy message").click()
    copy = user.locator(".user-actions .copy")
    assert clipboard(page) == "List it, *then* explain"
    expect(copy).to_have_text("Copied")
    expect(user.get_by_role("button", name="Copied")).to_have_count(1)
    expect(copy).to_have_text("Copy")  # back after a moment
    expect(user.get_by_role("button", name="Copy message")).to_have_count(1)

    answer = page.locator(".turn.assistant").last
    answer.get_by_role("button", name="Copy sh code").click()
    assert clipboard(page) == "ls -la $HOME"
    expect(answer.get_by_role("button", name="Copied")).to_have_count(1)  # said, not only shown
    expect(answer.get_by_role("button", name="Copy sh code")).to_have_count(1)
    answer.get_by_role("button", name="Copy answer").click()
    assert clipboard(page) == ANSWER  # the Markdown source, not the drawn text
    expect(answer.locator(".turn-foot .copy")).to_have_text("Copied")

    card = answer.locator(".tool-card").first
    card.locator("summary").click()
    output = card.locator(".tool-output")
    expect(output).to_be_visible()
    card.get_by_role("button", name="Copy list_directory output").click()
    assert clipboard(page) == output.text_content()
    expect(card.locator(".tool-output-head .copy")).to_have_text("Copied")
    assert page.errors == [], page.errors
    page.context.close()


def test_arrow_up_in_an_empty_composer_edits_the_last_message(browser, server, fake):
    page = open_page(browser, server)
    for question in ("First question", "Second question"):
        fake.reply(text=f"Answer to {question}.")
        send(page, question)
        page.wait_for_selector(f".turn.assistant:has-text('Answer to {question}.')")
        page.wait_for_selector(".turn.assistant:last-child[data-status=completed]")
    box = page.locator("#composer-input")
    # Not while the composer holds a draft: ↑ moves in the text there.
    box.fill("a draft")
    box.press("ArrowUp")
    expect(box).to_have_value("a draft")
    expect(page.locator("#composer-editing")).to_be_hidden()
    box.fill("")
    box.press("ArrowUp")
    expect(box).to_have_value("Second question")
    expect(page.locator("#composer-editing")).to_be_visible()
    expect(box).to_be_focused()
    box.press("Escape")
    expect(page.locator("#composer-editing")).to_be_hidden()
    assert page.errors == [], page.errors
    page.context.close()
