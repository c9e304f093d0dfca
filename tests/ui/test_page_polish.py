"""Small things a walk through the UI found, in a real browser: tables scroll instead of
breaking words and keep their columns' alignment, the model choice fits a phone, the edit
bar says what an edit does, the page has an icon."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.fakes import FakeOpenAIServer
from tests.ui.conftest import open_page

PHONE = {"width": 390, "height": 844}
LONG_MODEL = "some-organisation/an-exceptionally-long-model-name-instruct-q4_k_m-preview"


def send(page, text: str) -> None:
    page.fill("#composer-input", text)
    page.keyboard.press("Enter")


def test_a_wide_table_scrolls_sideways_and_keeps_words_and_alignment(browser, server, fake):
    page = open_page(browser, server, viewport=PHONE)
    header = " | ".join(f"Speed{i}" for i in range(8))
    rule = " | ".join(["---"] * 7 + ["---:"])
    row = " | ".join(["Throughput"] * 7 + ["12"])
    fake.reply(text=f"| {header} |\n| {rule} |\n| {row} |\n")
    send(page, "A wide table")
    page.wait_for_selector(".turn.assistant[data-status=completed] table")
    shape = page.evaluate(
        """() => {
            const table = document.querySelector('.turn.assistant table');
            const oneLine = (cell) => {
                const range = document.createRange();
                range.selectNodeContents(cell);
                return range.getClientRects().length === 1;
            };
            const cells = [...table.querySelectorAll('th, td')];
            const right = table.querySelector('td[align=right]');
            return {
                scrolls: table.scrollWidth > table.clientWidth
                    && getComputedStyle(table).overflowX === 'auto',
                whole: cells.every(oneLine),
                right: Boolean(right) && getComputedStyle(right).textAlign.endsWith('right'),
                left: getComputedStyle(table.querySelector('td:not([align])')).textAlign,
            };
        }"""
    )
    assert shape == {"scrolls": True, "whole": True, "right": True, "left": "left"}, shape
    assert page.errors == []
    page.context.close()


def test_the_model_choice_fits_a_phone(browser, server):
    with FakeOpenAIServer(models=[LONG_MODEL, "short"]) as listing:
        added = server.api.post(
            "/api/providers",
            json={"name": "Long names", "kind": "openai", "base_url": listing.base_url},
        )
        assert added.status_code == 201, added.text
        page = open_page(browser, server, viewport=PHONE)
        try:
            page.click("#toggle-sidebar")
            page.click("#open-settings")
            provider = page.locator("li.provider", has_text="Long names")
            provider.scroll_into_view_if_needed()
            provider.get_by_role("button", name="Test connection").click()
            provider.locator(f"select.model-choice option[value='{LONG_MODEL}']").wait_for(
                state="attached"
            )
            provider.locator("select.model-choice").select_option(LONG_MODEL)
            fits = provider.evaluate(
                """(li) => {
                    const select = li.querySelector('select.model-choice');
                    return select.getBoundingClientRect().right
                        <= li.getBoundingClientRect().right;
                }"""
            )
            assert fits
            assert page.errors == []
        finally:
            page.context.close()
            server.api.delete(f"/api/providers/{added.json()['id']}")


def test_the_edit_bar_says_an_edit_adds_a_version(page, fake):
    fake.reply(text="First answer.")
    send(page, "A question")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    page.locator(".turn.user.last").get_by_role("button", name="Edit").click()
    bar = page.locator("#composer-editing")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("sending adds a new version; the old one stays")
    expect(bar).not_to_contain_text("replaces")
    page.keyboard.press("Escape")


def test_the_page_has_an_icon_it_may_load(page):
    icons = page.locator("link[rel=icon]").evaluate_all("els => els.map((e) => e.href)")
    assert icons
    for href in icons:
        answer = page.request.get(href)
        assert answer.status == 200, href
        assert answer.headers["content-type"].startswith("image/"), answer.headers
        assert href.startswith(page.url.split("#")[0].rstrip("/"))  # same origin: img-src 'self'
