"""Settings → Tools and MCP servers, in Chromium against a real hearth serve: add a server
(its secret never comes back), connect it, see its tools at "ask", set a policy, import a
config with a bad entry (skipped with its reason), set a built-in tool's policy."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.agent.mcp_support import stdio_test_server, time_server
from tests.server.conftest import wait_for
from tests.ui.conftest import Served, open_page

SECRET = "sk-mcp-NEVER-SHOWN-77"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = Served(tmp_path_factory.mktemp("ui-mcp"), {})
    yield server
    server.close()


def test_servers_tools_policies_import_and_grants(browser, served):
    page = open_page(browser, served)
    page.click("#open-settings")
    section = page.locator(".mcp-section")
    expect(section.get_by_text("No MCP server yet.")).to_be_visible()

    page.fill("#mcp-name", "t")
    page.fill("#mcp-entry", json.dumps(stdio_test_server(TOKEN=SECRET)))
    section.get_by_role("button", name="Save server").click()
    row = section.locator('li.mcp-server[data-server="t"]')
    expect(row.locator(".mcp-status")).to_have_text("stopped")
    expect(row).to_contain_text("Secrets set: PYTHONPATH, TOKEN")
    row.get_by_role("button", name="Connect").click()
    row = section.locator('li.mcp-server[data-server="t"][data-status="connected"]')
    expect(row).to_be_visible(timeout=30000)
    row.get_by_text("6 tools").click()  # a server's tools are folded under their count
    echo = row.get_by_label("Policy for t echo")
    expect(echo).to_have_value("ask")
    echo.select_option("deny")
    wait_for(lambda: policy_of(served, "t", "echo") == "deny")
    assert SECRET not in page.content()

    page.fill(
        "#mcp-import",
        json.dumps({"mcpServers": {"time": time_server(), "broken": {"url": "ftp://x"}}}),
    )
    section.get_by_role("button", name="Import").click()
    expect(section.locator(".test-result")).to_contain_text("Added time. Skipped broken:")
    expect(section.locator('li.mcp-server[data-server="time"]')).to_be_visible()

    section.get_by_label("Policy for write_file").select_option("allow")
    wait_for(lambda: policy_of(served, None, "write_file") == "allow")


def policy_of(served, server, name):
    tools = served.api.get("/api/tools").json()["tools"]
    return next(x["policy"] for x in tools if x["server"] == server and x["name"] == name)
