"""Settings → Tools and MCP servers is laid out like the rest of Settings, in Chromium: each
server a card with its status and actions on its first line, its tools behind "N tools", and
every tool (built-in or a server's) on one row with its policy at the right edge, on a wide
window and a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.agent.mcp_support import stdio_test_server
from tests.ui.conftest import Served, open_page, shoot


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = Served(tmp_path_factory.mktemp("ui-mcp-layout"), {})
    added = server.api.put("/api/mcp/servers/t", json=stdio_test_server())
    assert added.status_code == 200, added.text
    yield server
    server.close()


def boxes(locator) -> list[dict]:
    return locator.evaluate_all("els => els.map(e => e.getBoundingClientRect().toJSON())")


def policy_rows_line_up(section) -> None:
    rows = section.locator(".tool-policy:visible")
    assert rows.count() >= 6
    for row, select, name in zip(
        boxes(rows),
        boxes(section.locator(".tool-policy:visible select.policy")),
        boxes(section.locator(".tool-policy:visible .tool-name")),
        strict=True,
    ):
        assert abs(row["right"] - select["right"]) <= 1, (row, select)  # policy at the right
        assert select["top"] < name["bottom"] and name["right"] <= select["left"]  # one row


@pytest.mark.parametrize("viewport", [None, {"width": 390, "height": 780}], ids=["wide", "phone"])
def test_servers_are_cards_and_tools_rows_with_their_policy_at_the_right(browser, served, viewport):
    page = open_page(browser, served, viewport=viewport)
    if viewport:
        page.click("#toggle-sidebar")
    page.click("#open-settings")
    section = page.locator(".mcp-section")
    server = section.locator('li.mcp-server[data-server="t"]')
    expect(server).to_be_visible()
    head = server.locator(".mcp-head")
    head_box = boxes(head)[0]
    for part in ("strong.mcp-name", ".mcp-status", "button >> text=Remove"):
        box = boxes(head.locator(part))[0]
        assert head_box["top"] <= box["top"] and box["bottom"] <= head_box["bottom"], part
    policy_rows_line_up(section)  # the built-in tools
    tools = server.locator(".mcp-tool-list")
    if server.get_attribute("data-status") != "connected":  # (connected by the wide run)
        server.get_by_role("button", name="Connect").click()
    connected = section.locator('li.mcp-server[data-server="t"][data-status="connected"]')
    expect(connected).to_be_visible(timeout=30000)
    expect(tools.locator("summary")).to_have_text("6 tools")
    expect(tools.locator(".tool-policy").first).to_be_hidden()  # folded until asked for
    tools.locator("summary").click()
    expect(tools.locator(".tool-policy").first).to_be_visible()
    policy_rows_line_up(section)
    shoot(page, f"mcp-settings-{'phone' if viewport else 'wide'}")
    page.context.close()
