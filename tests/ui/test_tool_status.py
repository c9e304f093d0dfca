"""Tool cards and approval cards say what is happening, in a real browser: waiting for an
answer, denied, stopped, failed; an approval answered before a reload comes back answered."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def send(page, text: str) -> None:
    page.fill("#composer-input", text)
    page.keyboard.press("Enter")


def open_workspace_session(page, server, tmp_path, title: str) -> dict:
    session = server.new_session(title=title, workspace=str(tmp_path))
    page.goto(f"{server.url}/#/s/{session['id']}")
    page.wait_for_selector(f"#chat-title:has-text('{title}')")
    return session


def test_an_approval_answered_before_a_reload_comes_back_answered(page, fake, server, tmp_path):
    session = open_workspace_session(page, server, tmp_path, "Reload while running")
    fake.reply(tool_calls=[{"name": "run_command", "arguments": {"command": "sleep 60"}}])
    send(page, "Run a long command")
    approval = page.locator(".approval.pending")
    approval.wait_for()
    card = page.locator(".tool-card").last
    # Waiting on the user: said so, not "Running…" with a pulsing dot.
    expect(card.locator(".tool-status")).to_have_text("Waiting for approval")
    expect(card).to_have_class(re.compile(r"\bwaiting\b"))
    approval.get_by_role("button", name="Allow", exact=True).click()
    expect(card.locator(".tool-status")).to_have_text("Running…")
    expect(card).not_to_have_class(re.compile(r"\bwaiting\b"))

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    # The replayed request is drawn, but as answered: no buttons to click into a 404.
    answered = page.locator(".turn.assistant.live .approval")
    expect(answered).to_have_count(1)
    expect(answered).not_to_have_class(re.compile(r"\bpending\b"))
    expect(answered.locator("button")).to_have_count(0)
    expect(answered.locator(".approval-result")).to_have_text("Answered")
    card = page.locator(".turn.assistant.live .tool-card").last
    expect(card.locator(".tool-status")).to_have_text("Running…")

    # Stopping the run: the command is stopped, not failed.
    page.click("#stop")
    page.wait_for_selector(".turn.assistant[data-status=cancelled]")
    card = page.locator(".tool-card").last
    expect(card.locator(".tool-status")).to_have_text("Stopped")
    expect(card).not_to_have_class(re.compile(r"\berror\b"))
    statuses = [
        m["status"] for m in server.session(session["id"])["messages"] if m["role"] == "tool"
    ]
    assert statuses == ["error"]  # the stored data is unchanged: only the card tells them apart


def test_a_denied_call_says_denied_with_a_quiet_note(page, fake, server, tmp_path):
    open_workspace_session(page, server, tmp_path, "Denied call")
    fake.reply(tool_calls=[{"name": "write_file", "arguments": {"path": "no.txt", "content": "x"}}])
    fake.reply(text="I did not write it.")
    send(page, "Write a file")
    page.locator(".approval.pending").get_by_role("button", name="Deny").click()
    page.wait_for_selector(".turn.assistant[data-status=completed]")

    def check():
        card = page.locator(".tool-card").last
        expect(card.locator(".tool-status")).to_have_text("Denied")
        expect(card).to_have_class(re.compile(r"\bdenied\b"))
        expect(card).not_to_have_class(re.compile(r"\berror\b"))
        expect(card).not_to_have_attribute("open", "")  # collapsed: nothing failed
        card.locator("summary").click()
        expect(card.locator(".tool-label").last).to_have_text("Told the model", ignore_case=True)
        expect(card.locator(".tool-output")).to_have_class(re.compile(r"\bnote\b"))

    check()
    page.reload()
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    check()


def test_a_stop_while_an_approval_waits_says_stopped(page, fake, server, tmp_path):
    open_workspace_session(page, server, tmp_path, "Stopped while asking")
    fake.reply(tool_calls=[{"name": "write_file", "arguments": {"path": "no.txt", "content": "x"}}])
    send(page, "Write a file")
    page.locator(".approval.pending").wait_for()
    page.click("#stop")
    page.wait_for_selector(".turn.assistant[data-status=cancelled]")
    card = page.locator(".tool-card").last
    expect(card.locator(".tool-status")).to_have_text("Stopped")
    expect(card).not_to_have_class(re.compile(r"\berror\b"))


def test_a_real_failure_still_says_failed(page, fake, server, tmp_path):
    open_workspace_session(page, server, tmp_path, "Real failure")
    fake.reply(tool_calls=[{"name": "read_file", "arguments": {"path": "missing.txt"}}])
    fake.reply(text="It is not there.")
    send(page, "Read a missing file")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    card = page.locator(".tool-card").last
    expect(card.locator(".tool-status")).to_have_text("Failed")
    expect(card).to_have_class(re.compile(r"\berror\b"))
    expect(card.locator(".tool-label").last).to_have_text("Output", ignore_case=True)
