"""MCP servers that never come up, secrets that must not follow a server to a new address,
addresses that do not parse, and secrets typed into a URL or args: through the hub."""

from __future__ import annotations

import json
import sys

import pytest

from core.agent.mcp.connection import MAX_RESTARTS
from core.errors import InvalidInput
from tests.agent.mcp_support import make_hub, wait_for


@pytest.fixture
def hub(tmp_path):
    made = make_hub(tmp_path / "data")
    made.restart_base = 0.05  # the backoff's shape, quicker
    yield made
    made.close()


def test_a_server_that_never_connects_backs_off_and_gives_up(hub, tmp_path):
    starts = tmp_path / "starts"
    script = f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(1)"
    hub.put("never", {"command": sys.executable, "args": ["-c", script]})
    hub.start("never")
    connection = hub._connections["never"]
    assert connection.gave_up.wait(60), "restarts every second forever"
    assert len(starts.read_text()) == 1 + MAX_RESTARTS
    server = hub.server("never")
    assert server["status"] == "error" and "gave up" in server["error"]
    assert hub.tools() == []  # a turn does not start another series
    assert len(starts.read_text()) == 1 + MAX_RESTARTS
    hub.start("never")  # Connect: a fresh series
    wait_for(lambda: len(starts.read_text()) > 1 + MAX_RESTARTS)


def test_a_secret_kept_with_null_does_not_follow_a_new_url(hub):
    hub.put("remote", {"url": "https://good.example/mcp", "headers": {"Authorization": "Bearer S"}})
    assert hub.config.launch("remote").headers == {"Authorization": "Bearer S"}
    # Same URL: null keeps the value.
    hub.put("remote", {"url": "https://good.example/mcp", "headers": {"Authorization": None}})
    assert hub.config.launch("remote").headers == {"Authorization": "Bearer S"}
    moved = hub.put(
        "remote", {"url": "https://attacker.example/mcp", "headers": {"Authorization": None}}
    )
    assert "Authorization" in moved["note"] and moved["header_keys"] == []
    assert "Bearer S" not in json.dumps(hub.config.launch("remote").headers)
    # A value given with the move is the new server's.
    hub.put("remote", {"url": "https://other.example/mcp", "headers": {"X-Key": "new"}})
    assert hub.config.launch("remote").headers == {"X-Key": "new"}


def test_a_secret_kept_with_null_does_not_follow_a_new_command(hub):
    hub.put("local", {"command": "server-a", "args": ["--x"], "env": {"TOKEN": "sk-1"}})
    hub.put("local", {"command": "server-a", "args": ["--x"], "env": {"TOKEN": None}})
    assert hub.config.launch("local").env == {"TOKEN": "sk-1"}
    hub.put("local", {"command": "server-a", "args": ["--y"], "env": {"TOKEN": None}})
    assert hub.config.launch("local").env == {}
    hub.put("local", {"command": "server-a", "args": ["--y"], "env": {"TOKEN": "sk-2"}})
    moved = hub.put("local", {"command": "evil", "args": ["--y"], "env": {"TOKEN": None}})
    assert moved["env_keys"] == [] and "TOKEN" in moved["note"]
    assert hub.config.launch("local").env == {}
    for secret in ("sk-1", "sk-2"):
        assert secret not in json.dumps(hub.config.launch("local").env)


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://[::1]:port/mcp", "http://127.0.0.1:99999/mcp", "http://:80/"]
)
def test_an_address_that_does_not_parse_is_refused_with_a_sentence(hub, url):
    with pytest.raises(InvalidInput, match="http"):
        hub.put("x", {"url": url})
    answer = hub.import_config(
        {"mcpServers": {"bad": {"url": url}, "fine": {"url": "https://ok.example/mcp"}}}
    )
    assert answer["added"] == ["fine"]
    assert answer["skipped"][0]["name"] == "bad" and "http" in answer["skipped"][0]["reason"]


def test_secrets_in_a_url_or_args_are_masked_where_shown(hub):
    hub.put("q", {"url": "https://mcp.example/mcp?api_key=SECRET1&region=eu"})
    hub.put(
        "a",
        {
            "command": "srv",
            "args": [
                "--token",
                "SECRET2",
                "--api-key=SECRET3",
                "--verbose",
                "x",
                "--url=https://u:SECRET4@h.example/?a=1&access_token=SECRET5",
                "https://h.example/?a=1&token=SECRET6",
                "GITHUB_TOKEN=SECRET7",
                "https://SECRET8@git.example/repo",
                "plain",
            ],
        },
    )
    shown = json.dumps(hub.servers())
    for n in range(1, 9):
        assert f"SECRET{n}" not in shown
    assert "region=eu" in shown and "--verbose" in shown
    assert hub.server("a")["args"][-1] == "plain" and hub.server("a")["args"][4] == "x"
    # Sending back what was shown keeps the real values (and is not a move).
    hub.put("q", {"url": hub.server("q")["url"]})
    hub.put("a", {"command": "srv", "args": hub.server("a")["args"]})
    assert hub.config.get("q").url.endswith("api_key=SECRET1&region=eu")
    assert hub.config.get("a").args[1] == "SECRET2"
    assert "SECRET5" in hub.config.get("a").args[5]
