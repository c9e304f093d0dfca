"""Accessibility that can fail: axe-core on the main views in light and dark, 200 % zoom and
phone width, and the keyboard's focus order."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import Served, open_page, shoot

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
THEMES = ("light", "dark")

RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) =>
      n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n")[1]),
  }));
}"""


def serious_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    # The page's CSP blocks inline scripts (add_script_tag); evaluate is not subject to it.
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(AXE + "\n;0")
    # Animations (pulsing dots) and transitions must not be measured mid-way.
    page.emulate_media(reduced_motion="reduce")
    violations = page.evaluate(RUN_AXE)
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def assert_clean(page, view: str) -> None:
    found = serious_violations(page)
    assert found == [], f"{view}: " + "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"][:6])
        for v in found
    )


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory):
    """A server with no provider at all (the built-in model turned off): the first-run path."""
    served = Served(tmp_path_factory.mktemp("ui-a11y-bare"), {"HEARTH_NO_BUILTIN_MODEL": "1"})
    yield served
    served.close()


def send(page, text: str) -> None:
    page.fill("#composer-input", text)
    page.keyboard.press("Enter")


RICH = (
    "Here is what I found:\n\n```python\ndef add(a, b):\n    return a + b  # sum\n```\n\n"
    "| file | size |\n|---|---|\n| a.txt | 3 |\n\n- [x] listed\n- [ ] written\n\n"
    "See [the docs](https://example.com/docs) and `inline code`."
)


@pytest.mark.parametrize("theme", THEMES)
def test_axe_chat_with_tools_approval_code_and_table(browser, server, fake, theme):
    page = open_page(browser, server, theme=theme)
    fake.reply(tool_calls=[{"name": "list_directory", "arguments": {"path": "."}}])
    fake.reply(text=RICH, reasoning="Looking at the folder first.")
    send(page, f"Look around ({theme})")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    fake.reply(tool_calls=[{"name": "write_file", "arguments": {"path": "a.txt", "content": "hi"}}])
    fake.reply(text="Not written.")
    send(page, "Write a file")
    page.locator(".approval.pending").wait_for()
    page.locator(".tool-card").first.locator("summary").click()  # an open card too
    page.locator(".turn.assistant").first.hover()
    assert_clean(page, f"chat ({theme}, approval waiting)")
    page.locator(".approval.pending").get_by_role("button", name="Deny").click()
    page.wait_for_selector(".turn.assistant:last-child[data-status=completed]")
    assert_clean(page, f"chat ({theme}, denied tool card)")
    page.get_by_role("button", name="Keyboard shortcuts").click()
    assert_clean(page, f"shortcuts panel ({theme})")
    page.context.close()


@pytest.mark.parametrize("theme", THEMES)
def test_axe_settings_and_first_run(browser, bare_server, theme):
    page = open_page(browser, bare_server, theme=theme)
    page.locator("#first-run .local-servers li").first.wait_for()
    page.wait_for_function(
        "() => !document.querySelector('#first-run .local-servers')"
        "?.textContent.includes('Looking')"
    )
    assert_clean(page, f"first run ({theme})")
    page.click("#open-settings")
    page.locator("#settings-dialog form.add-provider").wait_for()
    assert_clean(page, f"settings ({theme})")
    page.context.close()


IN_VIEWPORT = """(selector) => {
      const el = document.querySelector(selector);
      if (!el || !el.checkVisibility()) return false;
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0
        && r.right <= innerWidth && r.bottom <= innerHeight;
    }"""


def wait_in_viewport(page, selector: str) -> None:
    """Wait (the sidebar slides in, layout settles) until the element is entirely on screen."""
    page.wait_for_function(IN_VIEWPORT, arg=selector)


NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= innerWidth"

SIDEBAR_CLOSED = """() => !document.body.classList.contains("sidebar-open")
  && getComputedStyle(document.querySelector("#sidebar")).visibility === "hidden"
  && document.querySelector("#sidebar").getBoundingClientRect().right <= 0"""


# 1280x820 at 200 % zoom is a 640x410 CSS viewport; a phone is 390 wide.
@pytest.mark.parametrize(
    "viewport",
    [{"width": 640, "height": 410}, {"width": 390, "height": 760}],
    ids=["zoom-200", "phone"],
)
def test_small_viewports_keep_composer_send_and_sidebar_usable(browser, server, fake, viewport):
    session = server.new_session(title="Small screens")
    page = open_page(browser, server, viewport=viewport, path=f"#/s/{session['id']}")
    page.wait_for_selector("#chat-title:has-text('Small screens')")
    for selector in ("#composer-input", "#send", "#toggle-sidebar"):
        wait_in_viewport(page, selector)
    page.wait_for_function(NO_SIDEWAYS_SCROLL)
    # The sidebar opens over the chat, its search and list are usable, Esc closes it.
    page.click("#toggle-sidebar")
    expect(page.locator("#search")).to_be_focused()
    wait_in_viewport(page, "#search")
    wait_in_viewport(page, "#new-chat")
    wait_in_viewport(page, f"#session-list li[data-id='{session['id']}'] .session-link")
    page.keyboard.press("Escape")
    page.wait_for_function(SIDEBAR_CLOSED)
    expect(page.locator("#toggle-sidebar")).to_be_focused()
    # Picking a conversation in the open sidebar closes it.
    page.click("#toggle-sidebar")
    page.click(f"#session-list li[data-id='{session['id']}'] .session-link")
    page.wait_for_function(SIDEBAR_CLOSED)
    # Send works, and the composer and Stop stay in view while an answer streams.
    hold = threading.Event()
    fake.reply(text="A long reply " * 80, chunks=20, hold=hold, hold_after=10)
    send(page, "Hello from a small screen")
    page.wait_for_selector("#stop:visible")
    wait_in_viewport(page, "#stop")
    wait_in_viewport(page, "#composer-input")
    hold.set()
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    wait_in_viewport(page, "#send")
    wait_in_viewport(page, "#composer-input")
    assert_clean(page, f"chat at {viewport['width']}px")
    page.context.close()


PICKER_ROOM = """() => {
  const picker = document.querySelector("#model-picker");
  const style = getComputedStyle(picker);
  const context = document.createElement("canvas").getContext("2d");
  context.font = style.font;
  const text = picker.selectedOptions[0].textContent;
  const box = picker.getBoundingClientRect();
  return {
    text, title: picker.title, right: box.right, width: box.width,
    // the text, the padding and about 20 px for the arrow
    needed: context.measureText(text).width + parseFloat(style.paddingLeft)
      + parseFloat(style.paddingRight) + 20,
  };
}"""


def test_model_picker_name_fits_at_phone_width(browser, server):
    session = server.new_session(title="A conversation with a long enough title")
    page = open_page(
        browser, server, viewport={"width": 390, "height": 760}, path=f"#/s/{session['id']}"
    )
    # the picker is filled once the models are fetched: wait for the name it must show
    page.wait_for_function(
        "() => { const p = document.querySelector('#model-picker');"
        " return p.title === 'Default (fake-model)'"
        " && p.selectedOptions[0]?.textContent === 'Default (fake-model)'; }"
    )
    room = page.evaluate(PICKER_ROOM)
    assert room["text"] == "Default (fake-model)"
    assert room["title"] == "Default (fake-model)"  # the whole name, when it must be cut
    assert room["right"] <= 390
    assert room["needed"] <= room["width"], room
    wait_in_viewport(page, "#export-menu summary")
    page.wait_for_function(NO_SIDEWAYS_SCROLL)
    shoot(page, "header-phone")
    page.context.close()


FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "body";
  if (el.closest("#session-list")) {
    return el.matches(".session-link") ? "session" : "session-action";
  }
  return el.id || el.className || el.tagName;
}"""


def test_focus_order_from_the_page_start(browser, server, fake):
    for title in ("Focus one", "Focus two", "Focus three"):
        server.new_session(title=title)
    page = open_page(browser, server)
    fake.reply(text="An answer.")
    send(page, "Hello")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    page.reload()  # focus starts at the top of the page
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    stops = []
    for _ in range(40):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
        if stops[-1] == "composer-input":
            break
    assert "composer-input" in stops, stops
    order = [stops.index(name) for name in ("new-chat", "search", "session", "composer-input")]
    assert order == sorted(order), stops
    assert stops[0] == "skip-link", stops
    # The conversation list is one Tab stop (the open conversation and its actions)...
    assert stops.count("session") == 1, stops
    assert stops.count("session-action") <= 3, stops
    # ... and the arrow keys move in it.
    page.locator("#session-list .session-link[tabindex='0']").focus()
    first = page.evaluate("document.activeElement.closest('li').dataset.id")
    page.keyboard.press("ArrowDown")
    second = page.evaluate("document.activeElement.closest('li').dataset.id")
    assert second != first
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    page.wait_for_function(
        "id => document.activeElement.closest('li')?.dataset.id === id", arg=second
    )
    # The skip link goes straight to the message box (and stays in the conversation).
    hash_before = page.evaluate("location.hash")
    page.focus(".skip-link")
    page.keyboard.press("Enter")
    expect(page.locator("#composer-input")).to_be_focused()
    assert page.evaluate("location.hash") == hash_before
    expect(page.locator(".turn.assistant")).to_have_count(1)
    page.context.close()
