"""Search results in the browser: opening one shows the branch that holds the match, scrolled
to it with the matched words marked; the arrow keys reach the results from the search box."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.ui.conftest import open_page
from tests.ui.test_sidebar import import_session, item


def long_chat(server, title: str, deep_answer: str, turns: int = 50) -> dict:
    messages = []
    for i in range(turns):
        messages.append({"role": "user", "content": f"Question number {i}?"})
        answer = deep_answer if i == 2 else f"Answer number {i}, nothing special."
        messages.append({"role": "assistant", "content": answer})
    return import_session(server, title, messages)


def answer(server, fake, session_id: str, text: str, **body) -> None:
    fake.reply(text=text)
    started = server.api.post(f"/api/sessions/{session_id}/runs", json=body)
    assert started.status_code == 202, started.text
    events = server.events(started.json()["run_id"])
    assert events[-1].type == "run.completed", events[-1]


def test_a_match_deep_in_a_long_chat_is_scrolled_to_and_marked(browser, server):
    chat = long_chat(server, "Long talk", "A quokka smiles on Rottnest Island, quokkas everywhere.")
    page = open_page(browser, server)
    page.fill("#search", "quokka")
    hit = item(page, chat["id"])
    expect(hit.locator(".snippet mark").first).to_have_text("quokka", use_inner_text=True)
    hit.locator("a").click()
    page.wait_for_selector("#chat-title:has-text('Long talk')")
    marks = page.locator("#messages mark.search-hit")
    expect(marks).to_have_count(2)
    expect(marks.first).to_have_text("quokka", use_inner_text=True)
    expect(marks.nth(1)).to_have_text("quokkas", use_inner_text=True)
    expect(marks.first).to_be_in_viewport()
    expect(page.locator("#messages .search-target")).to_contain_text("Rottnest")
    # the last answer, where an opened chat usually sits, is out of view
    expect(page.locator("#messages", has_text="Answer number 49")).to_have_count(1)
    expect(page.get_by_text("Answer number 49, nothing special.")).not_to_be_in_viewport()
    page.context.close()


def test_a_match_in_another_version_opens_its_branch_from_the_keyboard(browser, server, fake):
    chat = server.new_session(title="Dinner")
    answer(server, fake, chat["id"], "Try a saffron bouillabaisse.", content="A soup for tonight?")
    first = server.session(chat["id"])["messages"][1]
    answer(server, fake, chat["id"], "Try a leek and potato soup.", regenerate=first["id"])
    assert "leek" in server.session(chat["id"])["messages"][1]["content"]

    page = open_page(browser, server)
    page.keyboard.press("Control+k")
    page.keyboard.type("saffron")
    page.wait_for_selector("#list-status:has-text('1 match')")
    page.keyboard.press("ArrowDown")
    expect(item(page, chat["id"]).locator(".session-link")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat-title:has-text('Dinner')")
    mark = page.locator("#messages mark.search-hit")
    expect(mark).to_have_text("saffron", use_inner_text=True)
    expect(mark).to_be_in_viewport()
    expect(page.locator("#messages")).not_to_contain_text("leek and potato")
    shown = server.session(chat["id"])["messages"]
    assert [m["content"] for m in shown] == ["A soup for tonight?", "Try a saffron bouillabaisse."]
    page.context.close()


def test_arrow_keys_move_between_results_and_escape_returns_to_the_box(browser, server):
    older = import_session(server, "Walk one", [{"role": "user", "content": "marmots whistle"}])
    newer = import_session(server, "Walk two", [{"role": "user", "content": "marmot burrows"}])
    page = open_page(browser, server)
    search = page.locator("#search")
    search.focus()
    page.keyboard.type("marmot")
    page.wait_for_selector("#list-status:has-text('2 matches')")
    links = page.locator("#session-list li.session .session-link")
    expect(links).to_have_count(2)
    first, second = links.nth(0), links.nth(1)
    expect(page.locator("#session-list li.session").nth(0)).to_have_attribute(
        "data-id", newer["id"]
    )
    page.keyboard.press("ArrowDown")
    expect(first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(second).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(first).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(search).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")
    expect(search).to_be_focused()
    expect(search).to_have_value("marmot")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat-title:has-text('Walk one')")
    expect(page.locator("#messages mark.search-hit")).to_have_text("marmots", use_inner_text=True)
    assert older["id"] in page.url
    page.context.close()
