"""The MCP client against real servers: the reference servers from PyPI (mcp-server-time,
mcp-server-git) over stdio, and a server written with the SDK over stdio and Streamable HTTP;
with crashes, hangs, floods, cancels and bad configs."""

from __future__ import annotations

import re
import threading
import time

import psutil
import pytest

from core.agent.tools import ToolContext, run_tool
from core.cancel import CancelToken
from core.errors import InvalidInput
from tests.agent.mcp_support import (
    HttpMcpServer,
    git_repo,
    git_server,
    make_hub,
    pid_alive,
    stdio_test_server,
    time_server,
    wait_for,
)

NAME_RULE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@pytest.fixture
def hub(tmp_path):
    made = make_hub(tmp_path / "data")
    yield made
    made.close()


def by_tool(tools):
    return {(t.server, t.server_tool): t for t in tools}


def test_nothing_starts_until_a_turn_needs_tools(hub):
    hub.put("time", time_server())
    assert hub.server("time")["status"] == "stopped"
    assert not hub.loop.running  # no thread, no process, no SDK import yet


def test_reference_time_server_over_stdio(hub, tmp_path):
    hub.put("time", time_server())
    tools = by_tool(hub.tools())
    now = tools[("time", "get_current_time")]
    assert now.name == "time__get_current_time" and now.read_only is False
    assert now.parameters["required"] == ["timezone"]
    result = run_tool(now, {"timezone": "Asia/Tokyo"}, ToolContext(workspace=tmp_path))
    assert result.ok and "Asia/Tokyo" in result.output
    wrong = run_tool(now, {"timezone": "Nowhere/Atlantis"}, ToolContext(workspace=tmp_path))
    assert not wrong.ok and "Nowhere/Atlantis" in wrong.output
    server = hub.server("time")
    assert server["status"] == "connected"
    assert {"get_current_time", "convert_time"} <= {t["name"] for t in server["tools"]}
    assert all(t["policy"] == "ask" for t in server["tools"])  # readOnlyHint is no grant


def test_reference_git_server_over_stdio(hub, tmp_path):
    repo = git_repo(tmp_path / "repo")
    hub.put("git", git_server(repo))
    tools = by_tool(hub.tools())
    status = tools[("git", "git_status")]
    result = run_tool(status, {"repo_path": str(repo)}, ToolContext(workspace=tmp_path))
    assert result.ok and "hello.txt" in result.output


def test_streamable_http_server(hub, tmp_path):
    http = HttpMcpServer()
    try:
        hub.put("remote", {"url": http.url, "headers": {"Authorization": "Bearer t0ken"}})
        shown = hub.server("remote")
        assert shown["transport"] == "http" and shown["header_keys"] == ["Authorization"]
        assert "t0ken" not in repr(shown)
        tools = by_tool(hub.tools())
        result = run_tool(
            tools[("remote", "add")], {"a": 2, "b": 3}, ToolContext(workspace=tmp_path)
        )
        assert result.ok and result.output == "5.0"
    finally:
        http.close()


def test_names_never_collide_and_fit_the_providers_rule(hub):
    hub.put("a.b", stdio_test_server())
    hub.put("a_b", stdio_test_server())
    names = [t.name for t in hub.tools()]
    assert len(names) == len(set(names)) == 12
    assert all(NAME_RULE.match(n) for n in names)


def test_env_secrets_reach_the_server_and_never_the_config(hub, tmp_path):
    hub.put("t", stdio_test_server(API_TOKEN="sk-very-secret"))
    assert "sk-very-secret" not in (tmp_path / "data" / "config" / "mcp.json").read_text()
    assert "sk-very-secret" not in repr(hub.servers())
    assert "API_TOKEN" in hub.server("t")["env_keys"]
    tools = by_tool(hub.tools())
    result = run_tool(tools[("t", "env")], {"name": "API_TOKEN"}, ToolContext(workspace=tmp_path))
    assert result.output == "sk-very-secret"
    # null keeps the stored value; the server is restarted with the new config
    hub.put("t", {**stdio_test_server(), "env": {"API_TOKEN": None}})
    tools = by_tool(hub.tools())
    result = run_tool(tools[("t", "env")], {"name": "API_TOKEN"}, ToolContext(workspace=tmp_path))
    assert result.output == "sk-very-secret"


def test_hang_times_out_and_cancel_ends_a_call_within_a_second(hub, tmp_path):
    hub.put("t", stdio_test_server())
    tools = by_tool(hub.tools())
    hub.call_timeout = 1.0
    started = time.monotonic()
    result = run_tool(tools[("t", "hang")], {}, ToolContext(workspace=tmp_path))
    assert not result.ok and "did not answer within 1 s" in result.output
    assert time.monotonic() - started < 3
    hub.call_timeout = 60.0
    token = CancelToken()
    threading.Timer(0.3, token.cancel).start()
    started = time.monotonic()
    result = run_tool(tools[("t", "hang")], {}, ToolContext(workspace=tmp_path, cancel=token))
    assert not result.ok and "cancelled" in result.output
    assert time.monotonic() - started < 1.3
    # the server still answers the next call
    echo = run_tool(tools[("t", "echo")], {"text": "still here"}, ToolContext(workspace=tmp_path))
    assert echo.output == "still here"


def test_crash_mid_call_is_a_tool_error_then_the_server_comes_back(hub, tmp_path):
    hub.put("t", stdio_test_server())
    tools = by_tool(hub.tools())
    result = run_tool(tools[("t", "crash")], {}, ToolContext(workspace=tmp_path))
    # Which is noticed first, the closed pipe or the server's end, decides the wording.
    assert not result.ok
    assert "stopped during the call" in result.output or "went away" in result.output
    assert "about to crash on purpose" in result.output
    wait_for(lambda: hub.server("t")["status"] in ("error", "starting", "connected"))
    wait_for(lambda: hub.server("t")["status"] == "connected")  # restarted after a backoff
    echo = run_tool(tools[("t", "echo")], {"text": "back"}, ToolContext(workspace=tmp_path))
    assert echo.ok and echo.output == "back"


def test_flood_is_cut_with_a_note_and_the_log_survives(hub, tmp_path):
    hub.put("t", stdio_test_server())
    tools = by_tool(hub.tools())
    ctx = ToolContext(workspace=tmp_path)
    result = run_tool(tools[("t", "flood")], {"size": 3_000_000, "lines": 20_000}, ctx)
    assert result.ok
    assert len(result.output) <= ctx.output_cap and "output truncated" in result.output
    assert len(result.display) <= ctx.display_cap + 100
    connection = hub._connections["t"]
    assert len(connection.stderr) <= 20  # only the last lines are kept
    assert run_tool(tools[("t", "echo")], {"text": "ok"}, ctx).output == "ok"


def test_bad_command_is_an_error_with_a_sentence(hub):
    hub.put("nope", {"command": "/no/such/mcp-server", "args": []})
    assert hub.tools() == []
    server = wait_for(lambda: (s := hub.server("nope"))["status"] == "error" and s)
    assert "nope" in server["error"]
    assert any("/no/such/mcp-server" in line for line in server["stderr"])


def test_bad_configs_are_refused_whole(hub):
    for entry in (
        {},
        {"command": "x", "url": "http://127.0.0.1:1/mcp"},
        {"command": ["not", "text"]},
        {"url": "ftp://example.com"},
        {"command": "x", "env": {"BAD NAME": "v"}},
        {"command": "x", "args": "not a list"},
        {"command": "x", "surprise": 1},
    ):
        with pytest.raises(InvalidInput):
            hub.put("s", entry)
    with pytest.raises(InvalidInput):
        hub.put("../etc", {"command": "x"})
    assert hub.servers() == []


def test_import_adds_each_entry_whole_or_skips_it_with_a_reason(hub):
    answer = hub.import_config(
        {
            "mcpServers": {
                "time": time_server(),
                "remote": {"url": "https://mcp.example.com/sse", "headers": {"X-Key": "k"}},
                "broken": {"args": ["no command"]},
                "bad name!": {"command": "x"},
            }
        }
    )
    assert answer["added"] == ["time", "remote"]
    reasons = {s["name"]: s["reason"] for s in answer["skipped"]}
    assert set(reasons) == {"broken", "bad name!"} and all(reasons.values())
    assert hub.server("remote")["sse"] is True
    again = hub.import_config({"mcpServers": {"time": time_server()}})
    assert again["added"] == [] and "already" in again["skipped"][0]["reason"]
    with pytest.raises(InvalidInput):
        hub.import_config({"servers": {}})


def test_disabled_servers_offer_nothing_and_close_stops_every_process(hub):
    hub.put("t", stdio_test_server())
    hub.put("off", {**stdio_test_server(), "enabled": False})
    assert {t.server for t in hub.tools()} == {"t"}
    assert hub.server("off")["status"] == "disabled"
    children = psutil.Process().children(recursive=True)
    assert children
    hub.close()
    wait_for(lambda: not any(pid_alive(c.pid) for c in children), timeout=10)
