"""Issue 16's rubs in the chat, in a real browser: each message says when it was written; the
"Jump to latest" pill and the toasts stay off the composer and the last lines; the rename field
takes its row; the Tools switch says when the chosen model cannot use tools."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from tests.server.conftest import wait_for
from tests.ui.conftest import open_page

BUILTIN = "builtin/SmolLM2-135M-Instruct.Q4_1.gguf"


def send(page, text: str) -> None:
    page.fill("#composer-input", text)
    page.keyboard.press("Enter")


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found, f"{locator} is not on screen"
    return found


def overlaps(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def local_noon(day: dt.date) -> str:
    """Noon of ``day`` in this machine's time zone (the browser's too), as ISO 8601 UTC."""
    noon = dt.datetime.combine(day, dt.time(12)).astimezone()
    return noon.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def test_each_message_says_when_it_was_written(page, server, fake):
    fake.reply(text="Written just now.")
    send(page, "When was this written?")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    now = dt.datetime.now(dt.UTC)
    for when in (
        page.locator(".turn.user .user-actions time.when"),
        page.locator(".turn.assistant .foot-row time.when"),
    ):
        expect(when).to_have_count(1)
        expect(when).to_have_text(re.compile(r"^\d{1,2}:\d{2}( ?[AP]M)?$"))
        written = dt.datetime.fromisoformat(when.get_attribute("datetime").replace("Z", "+00:00"))
        assert abs((now - written).total_seconds()) < 120
        assert str(dt.date.today().year) in when.get_attribute("title")  # the full date

    # Older messages: yesterday's say so, an old year's give the date with its year.
    session_id = page.evaluate("location.hash").split("/")[-1]
    fake.reply(text="The second answer.")
    send(page, "And this one?")
    expect(page.locator(".turn.assistant[data-status=completed]")).to_have_count(2)
    exported = server.api.get(f"/api/sessions/{session_id}/export?format=json").json()
    first_turn, second_turn = exported["messages"][:2], exported["messages"][2:]
    for message in first_turn:
        message["created_at"] = "2023-03-04T12:00:00Z"
    yesterday = local_noon(dt.date.today() - dt.timedelta(days=1))
    for message in second_turn:
        message["created_at"] = yesterday
    exported["session"]["title"] = "From the past"
    made = server.api.post("/api/sessions/import", json=exported)
    assert made.status_code == 201, made.text
    page.goto(server.url + f"/#/s/{made.json()['id']}")
    page.wait_for_selector("#chat-title:has-text('From the past')")
    users = page.locator(".turn.user .user-actions time.when")
    answers = page.locator(".turn.assistant .foot-row time.when")
    expect(users).to_have_count(2)
    expect(answers).to_have_count(2)
    for when in (users.first, answers.first):
        expect(when).to_have_text(re.compile(r"Mar.*2023|2023.*Mar"))
        assert when.get_attribute("datetime") == "2023-03-04T12:00:00.000Z"
    for when in (users.last, answers.last):
        expect(when).to_have_text(re.compile(r"^Yesterday \d{1,2}:\d{2}"))


def test_jump_to_latest_sits_above_the_composer_and_clear_of_the_last_lines(page, fake):
    long_answer = "\n\n".join(f"Paragraph {i}: " + "words " * 30 for i in range(40))
    fake.reply(text=long_answer + "\n\nThe very last line.")
    send(page, "Write a lot")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    # A long draft makes the composer tall: the pill moves up with it.
    page.fill("#composer-input", "\n".join(f"draft line {i}" for i in range(8)))
    page.dispatch_event("#composer-input", "input")
    page.evaluate("document.querySelector('#scroller').scrollTop = 0")
    pill = page.locator("#jump-latest")
    expect(pill).to_be_visible()
    composer = box(page.locator(".composer-box"))
    pill_box = box(pill)
    assert pill_box["y"] + pill_box["height"] <= composer["y"], (pill_box, composer)
    middle = pill_box["x"] + pill_box["width"] / 2
    assert abs(middle - (composer["x"] + composer["width"] / 2)) < 2  # centred on the chat

    # Back at the bottom, the last line is above where the pill shows.
    pill.click()
    expect(pill).to_be_hidden()
    last_line = box(page.locator(".turn.assistant .md > :last-child").last)
    assert last_line["y"] + last_line["height"] <= pill_box["y"], (last_line, pill_box)


def test_toasts_stay_off_the_composer_and_at_most_three_show(page, tmp_path):
    bad = tmp_path / "conversations.json"
    bad.write_text('[{"title": "cut short", "mapping": {')
    toasts = page.locator("#toasts .toast")
    composer = box(page.locator(".composer-box"))
    for shown in range(1, 6):
        page.set_input_files("#import-file", [])
        page.set_input_files("#import-file", str(bad))
        expect(toasts.last).to_contain_text("is not valid JSON")
        for i in range(toasts.count()):
            toast = box(toasts.nth(i))
            assert not overlaps(toast, composer), (toast, composer)  # nor Send, inside it
        expect(toasts).to_have_count(min(shown, 3))


def test_an_undo_is_never_cut_short_by_later_notices(browser, server, tmp_path):
    session = server.new_session(title="Keep me if I say so")
    page = open_page(browser, server)
    row = page.locator(f"#session-list li[data-id='{session['id']}']")
    row.hover()
    row.get_by_role("button", name="Delete Keep me if I say so").click()
    undo = page.locator(".toast button:has-text('Undo')")
    expect(undo).to_be_visible()
    bad = tmp_path / "conversations.json"
    bad.write_text('[{"title": "cut short", "mapping": {')
    for _ in range(4):
        page.set_input_files("#import-file", [])
        page.set_input_files("#import-file", str(bad))
        expect(page.locator("#toasts .toast").last).to_contain_text("is not valid JSON")
    expect(page.locator("#toasts .toast")).to_have_count(3)  # the Undo and the two newest
    undo.click()
    expect(row).to_be_visible()
    assert server.api.get(f"/api/sessions/{session['id']}").status_code == 200
    page.context.close()


def test_the_rename_field_takes_the_row(browser, server):
    session = server.new_session(title="A chat whose title is rather long for the sidebar row")
    page = open_page(browser, server)
    row = page.locator(f"#session-list li[data-id='{session['id']}']")
    row.hover()
    row.get_by_role("button", name=re.compile("^Rename ")).click()
    field = row.locator("input.rename")
    expect(field).to_be_focused()
    expect(row.locator(".session-actions")).to_be_hidden()
    row_box, field_box = box(row), box(field)
    assert field_box["x"] + field_box["width"] <= row_box["x"] + row_box["width"] + 0.5
    assert field_box["width"] >= row_box["width"] - 16, (field_box, row_box)
    field.press("Escape")
    expect(field).to_have_count(0)
    row.hover()
    expect(row.get_by_role("button", name=re.compile("^Rename "))).to_be_visible()
    assert page.errors == []
    page.context.close()


def test_the_tools_switch_says_the_built_in_model_gets_no_tools(browser, server):
    session = server.new_session(title="Tools follow the model")
    page = open_page(browser, server)
    page.goto(server.url + f"/#/s/{session['id']}")
    page.wait_for_selector("#chat-title:has-text('Tools follow the model')")
    switch = page.get_by_role("switch", name="Tools")
    expect(switch).to_be_checked()
    expect(switch).to_be_enabled()

    page.locator("#model-picker").select_option(BUILTIN)
    expect(switch).to_be_disabled()
    expect(switch).not_to_be_checked()
    chip = page.locator(".tools-switch")
    expect(chip).to_contain_text("not with this model")
    expect(chip).to_have_attribute("title", re.compile("too small to call tools"))
    wait_for(lambda: server.session(session["id"])["model"] == BUILTIN)
    assert server.session(session["id"])["tools_enabled"] is True  # the chat's choice is kept

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    switch = page.get_by_role("switch", name="Tools")
    expect(switch).to_be_disabled()
    expect(switch).not_to_be_checked()

    page.locator("#model-picker").select_option("env/fake-model")
    expect(switch).to_be_enabled()
    expect(switch).to_be_checked()
    switch.click()  # still the chat's own switch
    expect(switch).not_to_be_checked()
    wait_for(lambda: server.session(session["id"])["tools_enabled"] is False)
    assert page.errors == []
    server.api.patch("/api/settings", json={"last_model": None, "last_tools_enabled": None})
    page.context.close()


def test_the_sidebar_buttons_fit_one_row(page):
    buttons = page.locator(".sidebar-foot .button:visible")
    expect(buttons).to_have_count(4)  # Settings, Models, Import, Shortcuts
    tops = {round(box(buttons.nth(i))["y"]) for i in range(4)}
    assert len(tops) == 1, tops
