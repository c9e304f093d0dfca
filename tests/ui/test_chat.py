"""The conversation in a real browser: streaming, Markdown, hostile output, tools and
approvals, stop, reload mid-stream, failed turns."""

from __future__ import annotations

import re
import threading

from playwright.sync_api import expect

from tests.ui.conftest import open_page, shoot

ANSWER = "Streaming works: " + " ".join(f"word{i}" for i in range(60)) + "."


def send(page, text: str) -> None:
    page.fill("#composer-input", text)
    page.keyboard.press("Enter")


def last_answer(page):
    return page.locator(".turn.assistant").last


def test_send_streams_the_answer(page, fake):
    hold = threading.Event()
    fake.reply(text=ANSWER, chunks=30, hold=hold, hold_after=10)
    send(page, "Say something long")
    page.wait_for_selector(".turn.user .bubble >> text=Say something long")
    # Part of the answer shows while the model is still holding the rest back.
    page.wait_for_function(
        "() => (document.querySelector('.turn.assistant .md')?.textContent || '')"
        ".startsWith('Streaming works')"
    )
    expect(page.locator("#stop")).to_be_visible()
    expect(page.locator(".session.running")).to_have_count(1)
    hold.set()
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    expect(last_answer(page).locator(".md")).to_have_text(ANSWER, use_inner_text=True)
    expect(page.locator("#send")).to_be_visible()
    expect(last_answer(page).locator(".usage")).to_contain_text(
        "11 in · 7 out tokens", use_inner_text=True
    )
    expect(page.locator(".session.running")).to_have_count(0)
    # Shift+Enter makes a new line; the draft is not sent.
    page.fill("#composer-input", "line one")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("line two")
    expect(page.locator("#composer-input")).to_have_value("line one\nline two")
    expect(page.locator(".turn.user")).to_have_count(1)


def test_markdown_table_code_and_copy(page, fake):
    fake.reply(
        text=(
            "| name | size |\n|---|---|\n| a.txt | 3 |\n\n"
            "```python\ndef add(a, b):\n    return a + b\n```\n\n- [x] done\n- [ ] todo\n"
        ),
        chunks=12,
    )
    send(page, "Show me markdown")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    answer = last_answer(page)
    expect(answer.locator("table th")).to_have_text(["name", "size"], use_inner_text=True)
    expect(answer.locator("code.hljs .hljs-keyword").first).to_have_text("def", use_inner_text=True)
    expect(answer.locator("input[type=checkbox]")).to_have_count(2)
    expect(answer.locator("input[type=checkbox]:checked")).to_have_count(1)
    answer.locator("button[data-action=copy]").click()
    page.wait_for_selector("button[data-action=copy]:has-text('Copied')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == "def add(a, b):\n    return a + b"


HOSTILE = """Look:

<img src=x onerror="alert('img')">

<script>alert('script')</script>

[click me](javascript:alert('link'))

<a href="javascript:alert('a')">raw link</a>

<iframe src="javascript:alert('frame')"></iframe>

<div class="approval pending" style="position:fixed;inset:0;z-index:999" id="composer">cover</div>

<form action="/api/sessions"><input type="text" name="q"><button>go</button></form>

<svg><script>alert('svg')</script></svg>

<details open ontoggle="alert('toggle')"><summary>s</summary></details>

[fine](https://example.com/page)

"""


def test_hostile_model_output_is_inert(page, fake):
    fake.reply(text=HOSTILE, chunks=7)
    send(page, "Be evil")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    md = last_answer(page).locator(".md")
    assert page.dialogs == []
    expect(
        md.locator("script, iframe, object, embed, form, svg, style, textarea, button")
    ).to_have_count(0)
    expect(md.locator("[onerror], [ontoggle], [style], [id], [name]")).to_have_count(0)
    expect(md.locator(".approval, .pending")).to_have_count(0)
    hrefs = md.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert all(h is None or not h.lower().startswith("javascript") for h in hrefs), hrefs
    safe = md.locator("a[href='https://example.com/page']")
    expect(safe).to_have_attribute("target", "_blank")
    expect(safe).to_have_attribute("rel", "noopener noreferrer")
    expect(page.locator("#composer-input")).to_be_visible()  # nothing took the composer's id
    expect(page.locator("#composer")).to_have_count(1)
    # The stored copy, redrawn after a reload, is just as inert.
    page.reload()
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    expect(page.locator(".md script, .md iframe, .md [onerror]")).to_have_count(0)
    assert page.dialogs == []


def write_call(path: str, content: str = "hi") -> dict:
    return {"name": "write_file", "arguments": {"path": path, "content": content}}


def test_tool_card_and_approval_allow(page, fake, server):
    fake.reply(tool_calls=[write_call("allowed.txt")])
    fake.reply(text="I wrote the file.")
    send(page, "Write a file")
    approval = page.locator(".approval.pending")
    approval.wait_for()
    expect(approval).to_contain_text("write_file", use_inner_text=True)
    card = page.locator(".tool-card").last
    expect(card).to_have_class(re.compile("running"))
    expect(card.locator(".tool-brief")).to_contain_text("allowed.txt", use_inner_text=True)
    approval.get_by_role("button", name="Allow", exact=True).click()
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    card = page.locator(".tool-card").last
    expect(card).to_have_class(re.compile("ok"))
    expect(card.locator(".tool-status")).to_have_text("Done", use_inner_text=True)
    expect(page.locator(".approval.pending")).to_have_count(0)
    expect(last_answer(page)).to_contain_text("I wrote the file.", use_inner_text=True)
    card.locator("summary").click()
    expect(card.locator(".tool-args")).to_be_visible()


def test_approval_deny_shows_denied_card(page, fake):
    fake.reply(tool_calls=[write_call("denied.txt")])
    fake.reply(text="Understood, I did not write it.")
    send(page, "Write another file")
    page.locator(".approval.pending").get_by_role("button", name="Deny").click()
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    card = page.locator(".tool-card").last
    expect(card).to_have_class(re.compile("denied"))
    expect(card.locator(".tool-status")).to_have_text("Denied", use_inner_text=True)


def test_approval_survives_switching_sessions_and_allow_for_session(page, fake, server):
    other = server.new_session(title="Somewhere else")
    fake.reply(tool_calls=[write_call("one.txt")])
    fake.reply(tool_calls=[write_call("two.txt")])
    fake.reply(text="Both written.")
    send(page, "Write two files")
    page.locator(".approval.pending").wait_for()
    page.click(f"#session-list li[data-id='{other['id']}'] a")
    page.wait_for_selector("#chat-title:has-text('Somewhere else')")
    page.go_back()
    approval = page.locator(".approval.pending")
    approval.wait_for()
    approval.get_by_role("button", name="Allow for this session").click()
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    # The second write was not asked about: the session's grant covered it.
    page.wait_for_function("() => document.querySelectorAll('.tool-card.ok').length >= 2")
    expect(page.locator(".approval.pending")).to_have_count(0)
    expect(last_answer(page)).to_contain_text("Both written.", use_inner_text=True)


def test_stop_with_button_and_escape(page, fake):
    hold = threading.Event()
    fake.reply(text="partial answer that goes on and on", chunks=10, hold=hold, hold_after=3)
    send(page, "Talk until stopped")
    page.wait_for_function(
        "() => document.querySelector('.turn.assistant .md')?.textContent.length > 0"
    )
    page.click("#stop")
    page.wait_for_selector(".turn.assistant[data-status=cancelled]")
    expect(last_answer(page)).to_contain_text("Stopped.", use_inner_text=True)
    expect(last_answer(page).locator(".md")).to_have_text(
        re.compile(r"^partial"), use_inner_text=True
    )
    hold.set()
    hold2 = threading.Event()
    fake.reply(text="second partial answer that goes on", chunks=10, hold=hold2, hold_after=3)
    send(page, "Again")
    page.wait_for_function(
        "() => document.querySelectorAll('.turn.assistant')[1]"
        "?.querySelector('.md')?.textContent.length > 0"
    )
    page.keyboard.press("Escape")
    page.wait_for_selector(".turn.assistant:nth-of-type(4)[data-status=cancelled]")
    hold2.set()


def test_reload_mid_stream_resumes_without_duplicates(page, fake, server):
    hold = threading.Event()
    fake.reply(text=ANSWER, chunks=40, hold=hold, hold_after=20)
    send(page, "Survive a reload")
    page.wait_for_function(
        "() => (document.querySelector('.turn.assistant .md')?.textContent || '').length > 20"
    )
    session_id = page.evaluate("location.hash").split("/")[-1]
    assert server.session(session_id)["active_run"] is not None
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_function(
        "() => (document.querySelector('.turn.assistant .md')?.textContent || '').length > 20"
    )
    expect(page.locator(".turn.assistant")).to_have_count(1)
    hold.set()
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    expect(page.locator(".turn.assistant")).to_have_count(1)
    expect(last_answer(page).locator(".md")).to_have_text(ANSWER, use_inner_text=True)
    expect(page.locator(".turn.user")).to_have_count(1)


def first_events(server, run_id: str, wanted: int = 1) -> str:
    """The run's first ``wanted`` text events, as SSE text (what a cut stream delivered).

    Deltas that arrived before the reader are merged into one event (reader-side coalescing),
    so only one text event is sure to come before the fake holds the answer."""
    out, count = [], 0
    with server.api.stream("GET", f"/api/runs/{run_id}/events") as answer:
        block = []
        for line in answer.iter_lines():
            block.append(line)
            if line == "":
                text = "\n".join(block) + "\n"
                block = []
                if text.startswith(":"):
                    continue
                out.append(text)
                count += "event: text.delta" in text
                if count >= wanted:
                    break
    return "retry: 500\n\n" + "".join(out)


def test_dropped_connection_shows_reconnecting_then_resumes(page, fake, server):
    hold = threading.Event()
    fake.reply(text=ANSWER, chunks=40, hold=hold, hold_after=20, delay=0.01)
    calls = []

    def cut_first_stream(route):
        headers = route.request.all_headers()
        after = route.request.url.split("after=")[-1]
        calls.append(int(headers.get("last-event-id") or after or 0))
        if len(calls) == 1:
            run_id = route.request.url.split("/api/runs/")[1].split("/")[0]
            route.fulfill(
                status=200,
                headers={"Content-Type": "text/event-stream"},
                body=first_events(server, run_id),
            )
        else:
            route.continue_()

    page.route("**/api/runs/*/events*", cut_first_stream)
    # The notice shows for as long as the reconnect takes (a few hundred ms): recorded as it
    # happens rather than caught by polling.
    page.evaluate(
        """() => {
          const el = document.querySelector('#connection');
          window.connectionSaid = [];
          const note = () => { if (!el.hidden) window.connectionSaid.push(el.textContent); };
          const all = { attributes: true, childList: true, characterData: true, subtree: true };
          new MutationObserver(note).observe(el, all);
        }"""
    )
    send(page, "Survive a dropped stream")
    page.wait_for_function("() => window.connectionSaid.some((t) => t.includes('Reconnecting'))")
    page.wait_for_function(
        "() => (document.querySelector('.turn.assistant .md')?.textContent || '').length > 5"
    )
    hold.set()
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    expect(last_answer(page).locator(".md")).to_have_text(ANSWER, use_inner_text=True)
    assert len(calls) >= 2 and calls[1] > 0, calls  # resumed after the last event seen
    expect(page.locator("#connection")).to_be_hidden()


def session_id_of(page) -> str:
    return page.evaluate("location.hash").split("/")[-1]


def session_ids(server) -> set[str]:
    return {s["id"] for s in server.api.get("/api/sessions?limit=500").json()["sessions"]}


def test_retry_and_regenerate_keep_the_session_and_earlier_messages(page, fake, server):
    fake.reply(text="The first answer.")
    send(page, "First question")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    session_id = session_id_of(page)
    before = server.session(session_id)["messages"]
    others = session_ids(server) - {session_id}
    fake.error(status=400, message="The model refuses this request.")
    send(page, "Fail please")
    page.wait_for_selector(".turn.assistant[data-status=error]")
    notice = last_answer(page).locator(".notice.error")
    expect(notice).to_contain_text("The model refuses this request.", use_inner_text=True)
    fake.reply(text="Now it works.")
    last_answer(page).get_by_role("button", name="Retry").click()
    page.wait_for_selector(".turn.assistant[data-status=completed] >> text=Now it works.")
    assert session_id_of(page) == session_id
    expect(page.locator(".turn.user").last).to_have_text(
        re.compile(r"^Fail please"), use_inner_text=True
    )
    expect(page.locator(".turn.user")).to_have_count(2)
    stored = server.session(session_id)["messages"]
    assert stored[:2] == before  # untouched: same ids, content, status
    assert [(m["role"], m["content"]) for m in stored[2:]] == [
        ("user", "Fail please"),
        ("assistant", "Now it works."),
    ]
    # Regenerate: the same question again; the new answer is shown, the old one kept as a
    # version beside it, nothing else touched.
    fake.reply(text="A regenerated answer.")
    page.locator(".turn.assistant").last.get_by_role("button", name="Regenerate").click()
    page.wait_for_selector(".turn.assistant[data-status=completed] >> text=A regenerated answer.")
    expect(page.locator("#messages")).not_to_contain_text("Now it works.", use_inner_text=True)
    stored = server.session(session_id)["messages"]
    assert stored[:2] == before
    assert [(m["role"], m["content"]) for m in stored[2:]] == [
        ("user", "Fail please"),
        ("assistant", "A regenerated answer."),
    ]
    assert fake.last_body["messages"][-1]["content"] == "Fail please"
    assert session_ids(server) - {session_id} == others  # no copy made, none deleted
    assert session_id_of(page) == session_id


def import_session(server, title: str, messages: list[dict]) -> dict:
    probe = server.new_session(title="probe")
    exported = server.api.get(f"/api/sessions/{probe['id']}/export?format=json").json()
    server.api.delete(f"/api/sessions/{probe['id']}")
    answer = server.api.post(
        "/api/sessions/import",
        json={
            "format": exported["format"],
            "version": exported["version"],
            "session": {"title": title},
            "messages": messages,
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_interrupted_turn_offers_continue_and_retry(browser, server, fake):
    session = import_session(
        server,
        "Cut off",
        [
            {"role": "user", "content": "Tell me a story"},
            {"role": "assistant", "content": "Once upon a", "status": "interrupted"},
        ],
    )
    page = open_page(browser, server, path=f"#/s/{session['id']}")
    page.wait_for_selector(".turn.assistant[data-status=interrupted]")
    answer = last_answer(page)
    expect(answer.locator(".notice")).to_contain_text("cut off", use_inner_text=True)
    expect(answer.get_by_role("button", name="Continue")).to_be_visible()
    expect(answer.get_by_role("button", name="Retry")).to_be_visible()
    expect(answer.locator(".md")).to_have_text("Once upon a", use_inner_text=True)
    # Continue extends the kept answer in place: no new message (tests/ui/test_versions.py).
    fake.reply(text=" time, the end.")
    answer.get_by_role("button", name="Continue").click()
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    assert session_id_of(page) == session["id"]
    stored = server.session(session["id"])["messages"]
    assert [m["content"] for m in stored] == ["Tell me a story", "Once upon a time, the end."]
    expect(page.locator(".turn.assistant").first.locator(".md")).to_have_text(
        "Once upon a time, the end.", use_inner_text=True
    )
    page.context.close()


def test_running_marker_follows_the_server_also_for_runs_started_elsewhere(page, fake, server):
    other = server.new_session(title="Started elsewhere")
    hold = threading.Event()
    fake.reply(text="Busy " * 30, chunks=20, hold=hold, hold_after=3)
    started = server.api.post(f"/api/sessions/{other['id']}/runs", json={"content": "Work away"})
    assert started.status_code == 202, started.text
    row = page.locator(f"#session-list li[data-id='{other['id']}']")
    # This page did not start the run: the marker comes from the summaries (polled).
    page.wait_for_selector(f"#session-list li.running[data-id='{other['id']}']")
    expect(row.locator(".running-dot")).to_be_visible()
    # After a reload it is there from the first drawing of the list.
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(row).to_have_class(re.compile("running"))
    # Opening it follows the live run; when that ends the marker goes.
    row.locator("a").click()
    page.wait_for_selector("#stop:visible")
    page.wait_for_function(
        "() => (document.querySelector('.turn.assistant .md')?.textContent || '')"
        ".startsWith('Busy')"
    )
    hold.set()
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    page.wait_for_selector(f"#session-list li.session:not(.running)[data-id='{other['id']}']")
    expect(page.locator("#session-list li.running")).to_have_count(0)


def test_open_conversation_picks_up_a_run_started_in_another_tab(page, fake, server):
    fake.reply(text="Here first.")
    send(page, "Hello")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    session_id = session_id_of(page)
    hold = threading.Event()
    fake.reply(text="From the other tab " * 5, chunks=10, hold=hold, hold_after=2)
    started = server.api.post(f"/api/sessions/{session_id}/runs", json={"content": "Other tab"})
    assert started.status_code == 202, started.text
    page.wait_for_selector(".turn.user >> text=Other tab")
    page.wait_for_selector("#stop:visible")
    hold.set()
    page.wait_for_selector(".turn.assistant[data-status=completed] >> text=From the other tab")
    expect(page.locator(".turn.assistant")).to_have_count(2)


def test_failed_tool_result_is_an_error_card_after_reload(page, fake, server, tmp_path):
    (tmp_path / "notes.txt").write_text("fine\n")
    session = server.new_session(title="Tools", workspace=str(tmp_path))
    page.goto(f"{server.url}/#/s/{session['id']}")
    page.wait_for_selector("#chat-title:has-text('Tools')")
    fake.reply(
        tool_calls=[
            {"name": "read_file", "arguments": {"path": "notes.txt"}},
            {"name": "read_file", "arguments": {"path": "missing.txt"}},
        ]
    )
    fake.reply(text="One read, one failed.")
    send(page, "Read two files")
    page.wait_for_selector(".turn.assistant[data-status=completed]")

    def check():
        cards = page.locator(".tool-card")
        expect(cards).to_have_count(2)
        expect(cards.nth(0)).to_have_class(re.compile("ok"))
        expect(cards.nth(0).locator(".tool-status")).to_have_text("Done", use_inner_text=True)
        expect(cards.nth(1)).to_have_class(re.compile("error"))
        expect(cards.nth(1).locator(".tool-status")).to_have_text("Failed", use_inner_text=True)
        expect(cards.nth(1).locator(".tool-output")).to_contain_text(
            "missing.txt", use_inner_text=True
        )

    check()
    statuses = [
        m["status"] for m in server.session(session["id"])["messages"] if m["role"] == "tool"
    ]
    assert statuses == ["complete", "error"]
    page.reload()
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    check()


def test_stored_tool_status_decides_not_the_text(browser, server):
    """A result that merely starts with "Error: " is not a failure; status "error" is."""
    session = import_session(
        server,
        "Statuses",
        [
            {"role": "user", "content": "Check"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"id": "c1", "name": "read_file", "arguments": '{"path": "a"}'},
                    {"id": "c2", "name": "read_file", "arguments": '{"path": "b"}'},
                ],
            },
            {
                "role": "tool",
                "tool_call_id": "c1",
                "name": "read_file",
                "status": "complete",
                "content": "Error: this line is just what the file says",
            },
            {
                "role": "tool",
                "tool_call_id": "c2",
                "name": "read_file",
                "status": "error",
                "content": "The file could not be read",
            },
            {"role": "assistant", "content": "Done."},
        ],
    )
    stored = [m["status"] for m in server.session(session["id"])["messages"] if m["role"] == "tool"]
    assert stored == ["complete", "error"]
    page = open_page(browser, server, path=f"#/s/{session['id']}")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    cards = page.locator(".tool-card")
    expect(cards.nth(0)).to_have_class(re.compile("ok"))
    expect(cards.nth(1)).to_have_class(re.compile("error"))
    page.context.close()


def test_screenshots_light_and_dark(browser, server, fake):
    """Artifacts to look at: a tool card, an approval waiting, code and a table."""
    for theme in ("light", "dark"):
        page = open_page(browser, server, theme=theme, viewport={"width": 1280, "height": 1100})
        fake.reply(tool_calls=[{"name": "list_directory", "arguments": {"path": "."}}])
        fake.reply(
            text=(
                "Here you go:\n\n```js\nconst total = items.reduce((a, b) => a + b, 0); // sum\n```"
                "\n\n| file | lines |\n|---|---|\n| main.js | 236 |\n| view.js | 54 |\n"
            ),
            reasoning="Thinking about it.",
            usage={"prompt_tokens": 812, "completion_tokens": 64},
        )
        send(page, f"Screenshot in {theme}")
        page.wait_for_selector(".turn.assistant[data-status=completed]")
        page.locator(".tool-card").first.locator("summary").click()
        fake.reply(tool_calls=[write_call("notes/todo.md", "- buy milk")])
        fake.reply(text="Not written.")
        send(page, "Now write the notes file")
        page.locator(".approval.pending").wait_for()
        expect(page.locator(".turn.user.last .user-actions")).to_be_hidden()  # no Edit while live
        page.mouse.move(0, 0)
        shoot(page, f"chat-{theme}")
        page.set_viewport_size({"width": 390, "height": 800})
        shoot(page, f"chat-{theme}-phone")
        page.locator(".approval.pending").get_by_role("button", name="Deny").click()
        page.wait_for_selector(".turn.assistant:last-child[data-status=completed]")
        page.context.close()


def test_long_session_draws_the_last_turns_then_earlier_ones_on_scroll(browser, server):
    exported = server.api.get(
        f"/api/sessions/{server.new_session(title='y')['id']}/export?format=json"
    ).json()
    messages = []
    for i in range(150):
        messages += [
            {"role": "user", "content": f"question {i}"},
            {"role": "assistant", "content": f"answer {i}"},
        ]
    session = server.api.post(
        "/api/sessions/import",
        json={
            "format": exported["format"],
            "version": exported["version"],
            "session": {"title": "Long"},
            "messages": messages,
        },
    ).json()
    page = open_page(browser, server, path=f"#/s/{session['id']}")
    page.wait_for_selector(".turn.assistant >> text=answer 149")
    drawn = page.locator("#messages .turn").count()
    assert drawn < 100
    page.locator("#messages .earlier").scroll_into_view_if_needed()
    page.wait_for_function(f"() => document.querySelectorAll('#messages .turn').length > {drawn}")
    while page.locator("#messages .earlier").count():
        count = page.locator("#messages .turn").count()
        page.evaluate("document.querySelector('#scroller').scrollTop = 0")
        page.wait_for_function(
            f"() => document.querySelectorAll('#messages .turn').length > {count}"
        )
    page.locator(".turn.user >> text=question 0").wait_for()
    expect(page.locator("#messages .turn")).to_have_count(300)
    page.context.close()
