"""The sessions sidebar and the keyboard: groups, search with snippets, rename, pin, delete
and undo, paging, shortcuts, export and import."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from tests.server.conftest import wait_for
from tests.ui.conftest import open_page


def import_session(server, title: str, messages: list[dict], updated_at: str | None = None) -> dict:
    probe = server.api.get(
        f"/api/sessions/{server.new_session(title='probe')['id']}/export?format=json"
    ).json()
    session = {"title": title}
    if updated_at:
        session.update(created_at=updated_at, updated_at=updated_at)
    answer = server.api.post(
        "/api/sessions/import",
        json={
            "format": probe["format"],
            "version": probe["version"],
            "session": session,
            "messages": messages,
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def item(page, session_id: str):
    return page.locator(f"#session-list li[data-id='{session_id}']")


def test_groups_search_snippets_and_paging(browser, server):
    import_session(
        server, "Ancient history", [{"role": "user", "content": "old"}], "2020-01-01T00:00:00Z"
    )
    target = import_session(
        server,
        "Gardening notes",
        [
            {"role": "user", "content": "How deep should I plant the zucchiniflower seeds?"},
            {"role": "assistant", "content": "About two centimetres."},
        ],
    )
    for i in range(70):
        server.new_session(title=f"Filler {i}")
    page = open_page(browser, server)
    expect(page.locator("#session-list .group").first).to_have_text("Today")
    # Only the first page is drawn; scrolling loads more.
    expect(page.locator("#session-list li.session")).to_have_count(50)
    page.locator("#session-list li.session").last.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => document.querySelectorAll('#session-list li.session').length > 50"
    )
    page.locator("#session-list .group", has_text="Older").wait_for()

    page.keyboard.press("Control+k")
    expect(page.locator("#search")).to_be_focused()
    page.keyboard.type("zucchiniflower")
    hit = item(page, target["id"])
    page.wait_for_selector("#list-status:has-text('1 match')")
    expect(page.locator("#session-list li.session")).to_have_count(1)
    expect(hit.locator("mark")).to_have_text(
        re.compile(r"^zucchiniflower$", re.IGNORECASE), use_inner_text=True
    )
    expect(hit.locator(".snippet")).to_contain_text("plant the", use_inner_text=True)
    hit.locator("a").click()
    page.wait_for_selector("#chat-title:has-text('Gardening notes')")
    expect(page.locator("#messages")).to_contain_text("About two centimetres.", use_inner_text=True)
    page.context.close()


def test_snippet_markup_is_text_not_html(browser, server):
    hostile = import_session(
        server,
        "Hostile title <img src=x onerror=alert(1)>",
        [{"role": "user", "content": "needleword <img src=x onerror=alert(2)> <b>bold</b>"}],
    )
    page = open_page(browser, server)
    page.fill("#search", "needleword")
    page.wait_for_selector("#list-status:has-text('1 match')")
    expect(page.locator("#session-list img, #session-list b")).to_have_count(0)
    expect(item(page, hostile["id"])).to_contain_text("<img src=x", use_inner_text=True)
    assert page.dialogs == []
    page.context.close()


def test_rename_pin_delete_and_undo(browser, server):
    session = server.new_session(title="Rename me")
    page = open_page(browser, server)
    row = item(page, session["id"])
    row.hover()
    row.get_by_role("button", name="Rename Rename me").click()
    field = row.locator("input.rename")
    field.fill("Renamed in place")
    field.press("Enter")
    row.locator(".session-title:has-text('Renamed in place')").wait_for()
    # the list shows the new title before the PATCH is answered: wait for the server's copy
    wait_for(lambda: server.session(session["id"])["title"] == "Renamed in place")
    assert server.session(session["id"])["title"] == "Renamed in place"

    row.hover()
    row.get_by_role("button", name="Pin Renamed in place").click()
    page.wait_for_function(
        "id => document.querySelector('#session-list li.session.pinned')?.dataset.id === id",
        arg=session["id"],
    )
    expect(page.locator("#session-list .group").first).to_have_text("Pinned")
    assert server.session(session["id"])["pinned"] is True

    row = item(page, session["id"])
    row.hover()
    row.get_by_role("button", name="Delete Renamed in place").click()
    expect(row).to_be_hidden()
    page.locator(".toast button:has-text('Undo')").click()
    expect(row).to_be_visible()
    assert server.api.get(f"/api/sessions/{session['id']}").status_code == 200

    row.hover()
    row.get_by_role("button", name="Delete Renamed in place").click()
    page.locator(".toast").wait_for(state="detached", timeout=10000)
    page.wait_for_function(
        "id => !document.querySelector(`#session-list li[data-id='${id}']`)", arg=session["id"]
    )
    assert server.api.get(f"/api/sessions/{session['id']}").status_code == 404
    page.context.close()


def test_shortcuts_new_chat_help_and_drafts(browser, server, fake):
    page = open_page(browser, server)
    fake.reply(text="First answer.")
    page.fill("#composer-input", "Start a chat")
    page.keyboard.press("Enter")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    first = page.evaluate("location.hash")
    page.fill("#composer-input", "a draft for later")
    page.keyboard.press("Control+Shift+O")
    page.wait_for_function("() => location.hash === '#/new'")
    # the route switches asynchronously after the hash changes: wait for the new chat's view
    expect(page.locator("#composer-input")).to_have_value("")
    expect(page.locator(".turn")).to_have_count(0)
    page.keyboard.press("Control+/")
    help_panel = page.locator("#help-dialog")
    expect(help_panel).to_be_visible()
    expect(help_panel).to_contain_text("New chat", use_inner_text=True)
    expect(help_panel).to_contain_text("Stop", use_inner_text=True)
    page.keyboard.press("Escape")
    expect(help_panel).to_be_hidden()
    page.goto(server.url + "/" + first)
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    expect(page.locator("#composer-input")).to_have_value("a draft for later")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#composer-input")).to_have_value("a draft for later")
    page.context.close()


def test_export_and_import(browser, server, fake, tmp_path):
    page = open_page(browser, server)
    fake.reply(text="Exported answer.")
    page.fill("#composer-input", "Export me")
    page.keyboard.press("Enter")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    page.click("#export-menu summary")
    with page.expect_download() as info:
        page.click("#export-md")
    markdown = open(info.value.path(), encoding="utf-8").read()
    assert "Export me" in markdown and "Exported answer." in markdown
    page.click("#export-menu summary")
    with page.expect_download() as info:
        page.click("#export-json")
    data = json.loads(open(info.value.path(), encoding="utf-8").read())
    data["session"]["title"] = "Imported copy"
    path = tmp_path / "copy.json"
    path.write_text(json.dumps(data))
    page.set_input_files("#import-file", str(path))
    page.wait_for_selector("#chat-title:has-text('Imported copy')")
    expect(page.locator("#messages")).to_contain_text("Exported answer.", use_inner_text=True)
    page.context.close()


def test_edit_last_message_replaces_it_in_the_same_session(browser, server, fake):
    bystander = server.new_session(title="Bystander")
    page = open_page(browser, server)
    fake.reply(text="One.")
    page.fill("#composer-input", "First question")
    page.keyboard.press("Enter")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    fake.reply(text="Answer to the typo.")
    page.fill("#composer-input", "Wht is 2+2?")
    page.keyboard.press("Enter")
    page.wait_for_selector(".turn.assistant[data-status=completed] >> text=Answer to the typo.")
    session_id = page.evaluate("location.hash").split("/")[-1]
    before = server.session(session_id)["messages"]
    sessions_before = {
        s["id"] for s in server.api.get("/api/sessions?limit=500").json()["sessions"]
    }

    # Esc leaves editing without touching anything.
    page.locator(".turn.user.last").get_by_role("button", name="Edit").click()
    expect(page.locator("#composer-editing")).to_be_visible()
    expect(page.locator("#composer-input")).to_have_value("Wht is 2+2?")
    page.keyboard.press("Escape")
    expect(page.locator("#composer-editing")).to_be_hidden()
    expect(page.locator("#composer-input")).to_have_value("")

    page.locator(".turn.user.last").get_by_role("button", name="Edit").click()
    expect(page.get_by_role("button", name="Resend")).to_be_visible()
    fake.reply(text="Four.")
    page.fill("#composer-input", "What is 2+2?")
    page.keyboard.press("Enter")
    page.wait_for_selector(".turn.assistant[data-status=completed] >> text=Four.")
    expect(page.locator("#composer-editing")).to_be_hidden()
    assert page.evaluate("location.hash").split("/")[-1] == session_id
    # each bubble's first line
    expect(page.locator(".turn.user .bubble")).to_have_text(
        [re.compile(r"^First question(\n|$)"), re.compile(r"^What is 2\+2\?(\n|$)")],
        use_inner_text=True,
    )
    expect(page.locator("#messages")).not_to_contain_text(
        "Answer to the typo.", use_inner_text=True
    )
    stored = server.session(session_id)["messages"]
    assert stored[:2] == before[:2]  # the earlier turn is untouched (same ids and content)
    assert [(m["role"], m["content"]) for m in stored[2:]] == [
        ("user", "What is 2+2?"),
        ("assistant", "Four."),
    ]
    sessions_after = {s["id"] for s in server.api.get("/api/sessions?limit=500").json()["sessions"]}
    assert sessions_after == sessions_before  # no copy, nothing deleted
    assert bystander["id"] in sessions_after
    page.context.close()
