"""Versions in a real browser: Edit on any message and Regenerate add versions, ‹ k/n › switches
branches (by mouse and keyboard), Continue extends a cut-off answer in place, Fork opens a new
chat; screenshots in light and dark and at phone width."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from playwright.sync_api import expect

from tests.ui.conftest import open_page

SHOTS = Path("/tmp/shots-versions")


def send(page, text: str) -> None:
    page.fill("#composer-input", text)
    page.keyboard.press("Enter")


def answered(page, fake, question: str, answer: str) -> None:
    fake.reply(text=answer)
    send(page, question)
    page.wait_for_selector(f".turn.assistant[data-status=completed] >> text={answer}")


def session_id_of(page) -> str:
    return page.evaluate("location.hash").split("/")[-1]


def bubbles(page):
    return page.locator(".turn.user .bubble")


def answers(page):
    return page.locator(".turn.assistant .md")


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


def test_edit_any_message_regenerate_and_switch_versions(page, fake, server):
    answered(page, fake, "First question", "First answer.")
    answered(page, fake, "Second question", "Second answer.")
    sid = session_id_of(page)

    # Edit the first message (not the last): a new version, its own answer below it.
    page.locator(".turn.user").first.get_by_role("button", name="Edit").click()
    expect(page.locator("#composer-input")).to_have_value("First question")
    fake.reply(text="Answer to the edit.")
    send(page, "First question, edited")
    page.wait_for_selector(".turn.assistant[data-status=completed] >> text=Answer to the edit.")
    expect(bubbles(page)).to_have_text(["First question, edited"], use_inner_text=True)
    user = page.locator(".turn.user").first
    expect(user.locator(".version-count")).to_have_text("2/2")

    # ‹ shows the first version with its whole branch; the keyboard stays on the switcher.
    user.get_by_role("button", name=re.compile("Previous version of this message")).click()
    expect(bubbles(page)).to_have_text(["First question", "Second question"], use_inner_text=True)
    expect(answers(page)).to_have_text(["First answer.", "Second answer."], use_inner_text=True)
    expect(page.locator(".turn.user").first.locator(".version-count")).to_have_text("1/2")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused.startswith("Next version of this message"), focused
    page.keyboard.press("Enter")
    expect(bubbles(page)).to_have_text(["First question, edited"], use_inner_text=True)
    assert server.session(sid)["messages"][0]["content"] == "First question, edited"

    # Regenerate the answer: a second version beside it.
    fake.reply(text="Another answer to the edit.")
    page.locator(".turn.assistant").last.get_by_role("button", name="Regenerate").click()
    page.wait_for_selector(".turn.assistant[data-status=completed] >> text=Another answer")
    answer = page.locator(".turn.assistant").last
    expect(answer.locator(".version-count")).to_have_text("2/2")
    answer.get_by_role("button", name=re.compile("Previous version of this answer")).click()
    expect(answers(page)).to_have_text(["Answer to the edit."], use_inner_text=True)
    stored = server.session(sid)
    assert stored["message_count"] == 7  # nothing deleted: 3 questions, 4 answers
    assert [m["content"] for m in stored["messages"]] == [
        "First question, edited",
        "Answer to the edit.",
    ]


def test_continue_extends_the_cut_off_answer_in_place(browser, server, fake):
    session = import_session(
        server,
        "Cut off",
        [
            {"role": "user", "content": "Tell me a story"},
            {"role": "assistant", "content": "Once upon a ", "status": "interrupted"},
        ],
    )
    page = open_page(browser, server, path=f"#/s/{session['id']}")
    page.wait_for_selector(".turn.assistant[data-status=interrupted]")
    answer = page.locator(".turn.assistant").last
    expect(answer.get_by_role("button", name="Retry")).to_be_visible()
    fake.reply(text="time, the end.")
    answer.get_by_role("button", name="Continue").click()
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    expect(page.locator(".turn.assistant")).to_have_count(1)
    expect(answers(page)).to_have_text(["Once upon a time, the end."], use_inner_text=True)
    expect(page.locator(".turn.user")).to_have_count(1)
    stored = server.session(session["id"])["messages"]
    assert [m["content"] for m in stored] == ["Tell me a story", "Once upon a time, the end."]
    assert fake.last_body["messages"][-1] == {"role": "assistant", "content": "Once upon a"}
    expect(page.get_by_role("button", name="Continue")).to_have_count(0)
    assert page.errors == []
    page.context.close()


def test_a_reload_during_a_continue_shows_the_kept_text_once_then_the_rest(browser, server, fake):
    session = import_session(
        server,
        "Cut off, reloaded",
        [
            {"role": "user", "content": "Count to six"},
            {"role": "assistant", "content": "one two ", "status": "cancelled"},
        ],
    )
    page = open_page(browser, server, path=f"#/s/{session['id']}")
    page.wait_for_selector(".turn.assistant[data-status=cancelled]")
    hold = threading.Event()
    fake.reply(text="three four five six", chunks=2, hold=hold, hold_after=1)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_function(
        "() => (document.querySelector('.turn.assistant.live .md')?.textContent || '')"
        ".includes('four')"
    )
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_function(
        "() => (document.querySelector('.turn.assistant.live .md')?.textContent || '')"
        ".includes('four')"
    )
    expect(page.locator(".turn.assistant")).to_have_count(1)
    expect(answers(page)).to_have_text(["one two three four"], use_inner_text=True)
    hold.set()
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    expect(answers(page)).to_have_text(["one two three four five six"], use_inner_text=True)
    assert page.errors == []
    page.context.close()


def test_fork_opens_a_new_chat_up_to_that_message(page, fake, server):
    answered(page, fake, "Plan a trip", "Lisbon in May.")
    answered(page, fake, "And food?", "Pastéis de nata.")
    sid = session_id_of(page)
    page.locator(".turn.assistant").first.get_by_role("button", name="Fork").click()
    page.wait_for_function(f"() => !location.hash.endsWith('{sid}')")
    fork = session_id_of(page)
    expect(page.locator("#chat-title")).to_have_text(re.compile(r"\(fork\)$"))
    expect(bubbles(page)).to_have_text(["Plan a trip"], use_inner_text=True)
    expect(answers(page)).to_have_text(["Lisbon in May."], use_inner_text=True)
    assert len(server.session(sid)["messages"]) == 4
    assert len(server.session(fork)["messages"]) == 2


def test_screenshots_of_versions_light_dark_and_phone(browser, server, fake):
    SHOTS.mkdir(exist_ok=True)
    session = import_session(
        server,
        "Versions to look at",
        [
            {"role": "user", "content": "Write a haiku about autumn"},
            {"role": "assistant", "content": "Leaves drift on cold wind,\nthe maple lets go"},
        ],
    )
    page = open_page(browser, server, path=f"#/s/{session['id']}")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    fake.reply(
        text="Red leaves fall softly,\nthe year exhales its warm breath,\nbare branches wait."
    )
    page.locator(".turn.assistant").last.get_by_role("button", name="Regenerate").click()
    page.wait_for_selector(".turn.assistant .version-count")
    page.locator(".turn.user").first.get_by_role("button", name="Edit").click()
    fake.reply(text="Crisp air, golden light —", hold_after=1, chunks=2, cut_after=1)
    send(page, "Write a haiku about autumn, in English")
    page.wait_for_selector(".turn.assistant[data-status=error]")
    page.context.close()
    for theme in ("light", "dark"):
        page = open_page(
            browser,
            server,
            theme=theme,
            viewport={"width": 1100, "height": 700},
            path=f"#/s/{session['id']}",
        )
        page.wait_for_selector(".turn.assistant[data-status=error]")
        page.locator(".turn.user .versions").first.wait_for()
        page.mouse.move(0, 0)
        page.screenshot(path=str(SHOTS / f"versions-{theme}.png"))
        page.locator(".turn.user").first.get_by_role(
            "button", name=re.compile("Previous version")
        ).click()
        page.locator(".turn.assistant .versions").first.wait_for()
        page.mouse.move(0, 0)
        page.screenshot(path=str(SHOTS / f"versions-{theme}-branch1.png"))
        page.set_viewport_size({"width": 390, "height": 760})
        page.screenshot(path=str(SHOTS / f"versions-{theme}-phone.png"))
        page.locator(".turn.user").first.get_by_role(
            "button", name=re.compile("Next version")
        ).click()
        page.wait_for_selector(".turn.assistant[data-status=error]")
        assert page.errors == []
        page.context.close()
