"""Import in the browser: a ChatGPT zip picked with the Import button shows a progress bar,
lands in the sidebar and opens on the branch it showed; a bad file says what is wrong."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.fakes.chat_exports import T0, gpt_conversation, gpt_message, simple_gpt, zip_bytes
from tests.ui.conftest import open_page

WATCH_PROGRESS = """() => {
  window.sawProgress = false;
  new MutationObserver(() => {
    if (document.querySelector('.import-progress progress')) window.sawProgress = true;
  }).observe(document.body, { childList: true, subtree: true });
}"""


def test_import_a_chatgpt_zip(browser, server, tmp_path):
    branched = gpt_conversation(
        {
            "root": (None, None),
            "q": ("root", gpt_message("user", "Which tea for the evening?", at=T0 + 1)),
            "a1": ("q", gpt_message("assistant", "Chamomile, no caffeine.", at=T0 + 2)),
            "a2": ("q", gpt_message("assistant", "Rooibos, also caffeine-free.", at=T0 + 3)),
        },
        current="a1",
        title="Evening tea",
    )
    path = tmp_path / "chatgpt-export.zip"
    path.write_bytes(zip_bytes({"conversations.json": [simple_gpt("Imported bread"), branched]}))
    page = open_page(browser, server)
    page.evaluate(WATCH_PROGRESS)
    page.set_input_files("#import-file", str(path))
    expect(page.locator("#toasts")).to_contain_text("Imported 2 chats.")
    assert page.evaluate("window.sawProgress")
    expect(page.locator(".import-progress")).to_have_count(0)
    sidebar = page.locator("#session-list")
    expect(sidebar).to_contain_text("Imported bread")
    sidebar.get_by_text("Evening tea").click()
    page.wait_for_selector("#chat-title:has-text('Evening tea')")
    messages = page.locator("#messages")
    expect(messages).to_contain_text("Chamomile, no caffeine.", use_inner_text=True)
    expect(messages).not_to_contain_text("Rooibos", use_inner_text=True)

    bad = tmp_path / "conversations.json"
    bad.write_text('[{"title": "cut short", "mapping": {')
    page.set_input_files("#import-file", str(bad))
    expect(page.locator("#toasts")).to_contain_text("is not valid JSON")
    assert page.errors == [], page.errors
    page.context.close()
