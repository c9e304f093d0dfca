"""When a run ends, the pane shows the stored session without drawing the streamed answer again:
the answer keeps its nodes (a long one is not parsed and laid out again) and takes what only
the store knows (ids, versions, status, error, usage, times, the action row), and the pane is
then exactly what opening the chat again draws."""

from __future__ import annotations

import threading

from playwright.sync_api import expect

# The live answer's nodes as its run's last event is drawn (it has a status, not yet an id).
WATCH = """() => {
  window.__kept = null;
  window.__turnRemoved = false;
  const messages = document.querySelector('#messages');
  new MutationObserver((records) => {
    const turn = messages.querySelector('.turn.assistant:not([data-id])[data-status]');
    if (turn && !window.__kept) {
      window.__kept = { turn,
        nodes: [...turn.querySelectorAll('.md, details.reasoning, .tool-card')] };
    }
    for (const record of records) {
      for (const node of record.removedNodes) {
        if (window.__kept && node.contains?.(window.__kept.turn)) window.__turnRemoved = true;
      }
    }
  }).observe(messages, { subtree: true, childList: true, attributes: true,
    attributeFilter: ['data-status'] });
}"""

# (Drawn again from the store, the streamed turn is gone and never gets an id.)
RUN_ENDED = """() => window.__kept?.turn.dataset.id
  || (window.__kept && !window.__kept.turn.isConnected)"""

STORED_DRAWN = """() => {
  const turns = [...document.querySelectorAll('#messages .turn')];
  return turns.length > 1 && turns.every((t) => t.dataset.id && t.dataset.id !== 'pending')
    && turns.at(-1).matches('.turn.assistant[data-status]');
}"""

KEPT = """() => {
  const last = [...document.querySelectorAll('#messages .turn.assistant')].at(-1);
  const kept = window.__kept;
  return { sameTurn: kept?.turn === last, removed: window.__turnRemoved,
    nodes: kept ? kept.nodes.length : 0,
    connected: kept ? kept.nodes.filter((n) => n.isConnected && last.contains(n)).length : 0 };
}"""

# The pane as a string: attributes (and classes) sorted, so the order they were set in does
# not count, only what is drawn (nor the .md-group wrappers a long answer's blocks are kept in).
SHAPE = """() => {
  const shape = (node) => {
    if (node.nodeType === Node.TEXT_NODE) return node.data;
    if (node.nodeType !== Node.ELEMENT_NODE) return '';
    if (node.matches('.md > .md-group')) return [...node.childNodes].map(shape).join('');
    const attrs = [...node.attributes].map((a) => (a.name === 'class'
      ? `class=${[...node.classList].sort().join(' ')}` : `${a.name}=${a.value}`)).sort();
    return `<${node.localName} ${attrs.join(' ')}>${[...node.childNodes].map(shape).join('')}`
      + `</${node.localName}>`;
  };
  return shape(document.querySelector('#messages'));
}"""

ANSWER = "".join(
    f"## Part {i}\n\nSome [text](https://example.com/{i}) and `code` {i}.\n\n"
    f"```python\nprint({i})\n```\n\n- a {i}\n- b\n\n| x | y |\n|---|---|\n| {i} | 2 |\n\n"
    for i in range(12)
)


def open_session(page, server, tmp_path, title: str) -> dict:
    session = server.new_session(title=title, workspace=str(tmp_path))
    page.goto(f"{server.url}/#/s/{session['id']}")
    page.wait_for_selector(f"#chat-title:has-text('{title}')")
    return session


def send(page, text: str) -> None:
    page.evaluate(WATCH)
    page.fill("#composer-input", text)
    page.keyboard.press("Enter")


def ended_in_place(page, nodes: int) -> str:
    """Waits for the stored session to be drawn, checks the streamed answer kept its nodes
    (``nodes`` of them: text, reasoning, tool cards), and that the pane is what opening the
    chat again draws; returns the pane's shape."""
    page.wait_for_function(RUN_ENDED)
    page.wait_for_function(STORED_DRAWN)
    kept = page.evaluate(KEPT)
    assert kept == {"sameTurn": True, "removed": False, "nodes": nodes, "connected": nodes}
    ended = page.evaluate(SHAPE)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_function(STORED_DRAWN)
    assert page.evaluate(SHAPE) == ended
    return ended


def test_a_long_answer_with_reasoning_keeps_its_nodes_in_a_new_chat(page, fake):
    page.evaluate("() => { location.hash = '#/new'; }")
    page.wait_for_function("() => document.querySelectorAll('#messages .turn').length === 0")
    fake.reply(reasoning="First I think.\n\nThen I answer.", text=ANSWER, chunks=150)
    send(page, "A long answer, please")
    ended_in_place(page, nodes=3)
    # The message sent is now the stored one (its time, Edit and Fork); the answer's row.
    user = page.locator(".turn.user").last
    expect(user.get_by_role("button", name="Edit")).to_be_visible()
    answer = page.locator(".turn.assistant").last
    for name in ("Copy", "Regenerate", "Fork"):
        expect(answer.locator(".turn-foot").get_by_role("button", name=name)).to_be_visible()
    expect(answer.locator(".turn-foot .usage")).to_have_text("11 in · 7 out tokens")
    expect(answer.locator(".turn-foot time")).to_have_count(1)


def test_tool_calls_keep_their_cards_and_the_approval_goes(page, fake, server, tmp_path):
    open_session(page, server, tmp_path, "Tools kept")
    (tmp_path / "a.txt").write_text("hello")
    fake.reply(
        text="Let me look.",
        tool_calls=[
            {"name": "read_file", "arguments": {"path": "a.txt"}},
            {"name": "read_file", "arguments": {"path": "missing.txt"}},
        ],
    )
    fake.reply(tool_calls=[{"name": "write_file", "arguments": {"path": "b.txt", "content": "x"}}])
    fake.reply(tool_calls=[{"name": "write_file", "arguments": {"path": "c.txt", "content": "y"}}])
    fake.reply(text="Wrote one of them.")
    send(page, "Read and write")
    page.locator(".approval.pending").get_by_role("button", name="Allow", exact=True).click()
    expect(page.locator(".approval.pending")).to_have_count(1)
    page.locator(".approval.pending").get_by_role("button", name="Deny").click()
    shape = ended_in_place(page, nodes=6)
    statuses = page.locator(".turn.assistant").last.locator(".tool-status").all_text_contents()
    assert statuses == ["Done", "Failed", "Done", "Denied"]
    assert "approval" not in shape


def held_version(page, fake, button: str, text: str) -> None:
    """Click the last answer's ``button`` (Regenerate, Continue) with the model's answer held
    until the run's live turn shows (the stored session is read once the run has begun)."""
    page.evaluate(WATCH)
    hold = threading.Event()
    fake.reply(text=text, chunks=50, hold=hold, hold_after=10)
    page.locator(".turn.assistant").last.get_by_role("button", name=button).click()
    try:
        page.wait_for_selector(".turn.assistant.live")
    finally:
        hold.set()


def test_a_regenerated_answer_shows_its_versions(page, fake, server, tmp_path):
    open_session(page, server, tmp_path, "Regenerated")
    fake.reply(text="First answer.")
    send(page, "Hello")
    ended_in_place(page, nodes=1)
    held_version(page, fake, "Regenerate", ANSWER)
    ended_in_place(page, nodes=1)
    expect(page.locator(".turn.assistant .version-count")).to_have_text("2/2")
    page.get_by_role("button", name="Previous version of this answer (1 of 2)").click()
    expect(page.locator(".turn.assistant .md")).to_have_text("First answer.")


def test_a_failed_run_then_continued(page, fake, server, tmp_path):
    open_session(page, server, tmp_path, "Failed then continued")
    fake.reply(text="The first half of it, ", chunks=4, stream_error="boom", stream_error_after=3)
    send(page, "Tell me")
    ended_in_place(page, nodes=1)
    answer = page.locator(".turn.assistant").last
    expect(answer.locator(".notice.error")).to_be_visible()
    expect(answer.get_by_role("button", name="Retry")).to_be_visible()
    held_version(page, fake, "Continue", " and the second half.")
    ended_in_place(page, nodes=1)
    answer = page.locator(".turn.assistant").last
    expect(answer.locator(".notice")).to_have_count(0)
    expect(answer.get_by_role("button", name="Regenerate")).to_be_visible()
    expect(answer.get_by_role("button", name="Continue")).to_have_count(0)


def test_a_stopped_command_says_stopped(page, fake, server, tmp_path):
    open_session(page, server, tmp_path, "Stopped command")
    hold = threading.Event()
    command = {"name": "run_command", "arguments": {"command": "sleep 60"}}
    fake.reply(text="Running it.", tool_calls=[command])
    fake.reply(text="never", hold=hold)
    send(page, "Run it")
    page.locator(".approval.pending").get_by_role("button", name="Allow", exact=True).click()
    expect(page.locator(".tool-card .tool-status")).to_have_text("Running…")
    try:
        page.click("#stop")
        ended_in_place(page, nodes=2)
    finally:
        hold.set()
    answer = page.locator(".turn.assistant").last
    expect(answer.locator(".tool-status")).to_have_text("Stopped")
    expect(answer.locator(".notice")).to_have_text("Stopped.")


def test_a_long_chat_keeps_its_earlier_turns_to_draw(page, fake, server):
    """A chat longer than the pane draws at first: the turns above stay as they were (not drawn
    again) and the earlier ones are still drawn when the reader scrolls up."""
    from tests.ui.test_chat import import_session

    messages = []
    for i in range(45):
        messages += [
            {"role": "user", "content": f"Question {i}"},
            {"role": "assistant", "content": f"Answer {i}"},
        ]
    session = import_session(server, "Long chat", messages)
    page.goto(f"{server.url}/#/s/{session['id']}")
    page.wait_for_selector("#chat-title:has-text('Long chat')")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    page.evaluate("() => { window.__above = document.querySelector('#messages .turn'); }")
    fake.reply(text=ANSWER, chunks=100)
    send(page, "One more")
    ended_in_place_only(page)
    assert page.evaluate("() => window.__above === document.querySelector('#messages .turn')")
    # 42 turns drawn, 50 to draw (40 at a time, also drawn by scrolling up)
    expect(page.locator(".turn")).to_have_count(42)
    # Asked for until all are drawn: scrolling the button into view may draw the earlier turns
    # by itself and take the button away before a click lands.
    page.wait_for_function(
        """() => {
          document.querySelector('#messages button.earlier')?.click();
          return document.querySelectorAll('#messages .turn').length === 92;
        }"""
    )
    expect(page.get_by_role("button", name="Show earlier messages")).to_have_count(0)
    expect(page.locator(".turn.user").first).to_contain_text("Question 0")


def ended_in_place_only(page) -> None:
    page.wait_for_function(RUN_ENDED)
    page.wait_for_function(STORED_DRAWN)
    kept = page.evaluate(KEPT)
    assert kept == {"sameTurn": True, "removed": False, "nodes": 1, "connected": 1}
