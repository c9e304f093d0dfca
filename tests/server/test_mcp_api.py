"""MCP servers and the approval ledger through a real ``hearth serve``, with the fake model
calling MCP tools on both wire formats: status, import, secrets, policies, allow_always
grants kept across a restart, pinning, and no server process left after a SIGKILL."""

from __future__ import annotations

import os
import signal
import sys

import psutil
import pytest

from tests.agent.mcp_support import (
    ROOT,
    HttpMcpServer,
    pid_alive,
    stdio_test_server,
    time_server,
)
from tests.fakes import FakeAnthropicServer
from tests.server.conftest import sse_events, wait_for

_streams: dict = {}

# The test server started with its variant from the environment: the same command and args
# (the same server, for Hearth) can change its tools.
_BY_ENV = (
    "import os, runpy, sys; sys.argv = ['mcp_server', '--variant', os.environ['VARIANT']]; "
    "runpy.run_module('tests.fakes.mcp_server', run_name='__main__')"
)


def variant_server(variant: str) -> dict:
    return {
        "command": sys.executable,
        "args": ["-c", _BY_ENV],
        "env": {"PYTHONPATH": str(ROOT), "VARIANT": variant},
    }


def run_to_approval_or_end(server, run_id):
    """The run's events up to its next approval (and that approval), or to its end."""
    stream = _streams.setdefault(run_id, sse_events(server.client, run_id))
    seen = []
    for event in stream:
        seen.append(event)
        if event.type == "approval.requested":
            return seen, event.data
    return seen, None


def finish(server, run_id, approval, decision, **extra):
    answer = server.client.post(
        f"/api/approvals/{approval['approval_id']}", json={"decision": decision, **extra}
    )
    assert answer.status_code == 200, answer.text
    events, more = run_to_approval_or_end(server, run_id)
    assert more is None, more
    return answer.json(), events


def completed(events):
    return [e.data for e in events if e.type == "tool.completed"]


@pytest.fixture
def hearth(start_server, tmp_path):
    return start_server(tmp_path / "data")


def test_servers_api_status_secrets_import_and_errors(hearth):
    client = hearth.client
    assert client.get("/api/mcp/servers").json() == {"servers": []}
    put = client.put("/api/mcp/servers/t", json=stdio_test_server(TOKEN="sk-hidden"))
    assert put.status_code == 200, put.text
    server = put.json()
    assert server["status"] == "stopped" and server["tools"] == []
    assert "TOKEN" in server["env_keys"] and "sk-hidden" not in put.text
    assert "sk-hidden" not in client.get("/api/mcp/servers").text
    started = client.post("/api/mcp/servers/t/start").json()
    assert started["status"] == "connected"
    assert {t["name"] for t in started["tools"]} >= {"echo", "add"}
    assert {t["policy"] for t in started["tools"]} == {"ask"}
    off = client.patch("/api/mcp/servers/t", json={"enabled": False}).json()
    assert off["status"] == "disabled"

    bad = client.put("/api/mcp/servers/x", json={"command": 42})
    assert bad.status_code == 400 and bad.json()["error"]["message"]
    bad_name = client.put("/api/mcp/servers/bad%20name", json={"command": "x"})
    assert bad_name.status_code == 400
    imported = client.post(
        "/api/mcp/import",
        json={"mcpServers": {"time": time_server(), "broken": {"env": {}}}},
    ).json()
    assert imported["added"] == ["time"]
    assert imported["skipped"][0]["name"] == "broken" and imported["skipped"][0]["reason"]
    assert client.delete("/api/mcp/servers/time").status_code == 204
    assert client.delete("/api/mcp/servers/time").status_code == 404
    assert client.post("/api/mcp/import", json={"nope": 1}).status_code == 400


@pytest.mark.parametrize("wire", ["openai", "anthropic"])
def test_the_model_calls_mcp_tools_after_approval(hearth, fake, wire, tmp_path):
    client = hearth.client
    http = HttpMcpServer()
    claude = FakeAnthropicServer() if wire == "anthropic" else None
    try:
        model_fake = claude or fake
        body = {}
        if claude is not None:
            provider = client.post(
                "/api/providers",
                json={
                    "name": "Claude",
                    "kind": "anthropic",
                    "base_url": claude.base_url,
                    "api_key": "k",
                },
            ).json()
            body = {"model": f"{provider['id']}/fake-model"}
        client.put("/api/mcp/servers/time", json=time_server())
        client.put("/api/mcp/servers/remote", json={"url": http.url})
        session = hearth.new_session(workspace=str(tmp_path), **body)
        model_fake.reply(
            tool_calls=[
                {
                    "id": "c1",
                    "name": "time__get_current_time",
                    "arguments": {"timezone": "Europe/Oslo"},
                },
                {"id": "c2", "name": "remote__add", "arguments": {"a": 40, "b": 2}},
            ]
        )
        model_fake.reply(text="Done.")
        run_id = hearth.start_run(session["id"], "what time is it")
        _, approval = run_to_approval_or_end(hearth, run_id)
        assert approval["tool"] == "time__get_current_time"
        assert approval["server"] == "time" and approval["server_tool"] == "get_current_time"
        offered = {
            t.get("name") or t.get("function", {}).get("name")
            for t in model_fake.last_body["tools"]
        }
        assert {"time__get_current_time", "remote__add", "read_file"} <= offered
        client.post(f"/api/approvals/{approval['approval_id']}", json={"decision": "allow"})
        first, second = run_to_approval_or_end(hearth, run_id)
        assert second["tool"] == "remote__add"
        _, events = finish(hearth, run_id, second, "allow_session")
        results = completed(first + events)
        assert results[0]["ok"] and "Europe/Oslo" in results[0]["output"]
        assert results[1] == {"call_id": "c2", "ok": True, "output": "42.0"}
        assert events[-1].type == "run.completed"
        stored = hearth.session(session["id"])["messages"]
        assert [m["content"] for m in stored if m["role"] == "tool"][1] == "42.0"
    finally:
        http.close()
        if claude is not None:
            claude.close()


def test_policies_grants_and_pinning(start_server, fake, tmp_path):
    data = tmp_path / "data"
    hearth = start_server(data)
    client = hearth.client
    client.put("/api/mcp/servers/t", json=variant_server("1"))
    session = hearth.new_session(workspace=str(tmp_path))

    # allow_always: a grant kept in the store
    fake.reply(tool_calls=[{"id": "a", "name": "t__echo", "arguments": {"text": "one"}}])
    fake.reply(text="ok")
    run_id = hearth.start_run(session["id"], "echo")
    _, approval = run_to_approval_or_end(hearth, run_id)
    answer, events = finish(hearth, run_id, approval, "allow_always")
    assert answer["grant"]["tool"] == "echo" and answer["grant"]["server"] == "t"
    assert completed(events)[0]["output"] == "one"
    grants = client.get("/api/grants").json()["grants"]
    assert len(grants) == 1 and grants[0]["session_id"] == session["id"]
    assert grants[0]["created_at"] and grants[0]["workspace"] == str(tmp_path)

    # kept across a restart: the next call runs without asking
    hearth.stop()
    hearth = start_server(data)
    client = hearth.client
    fake.reply(tool_calls=[{"id": "b", "name": "t__echo", "arguments": {"text": "two"}}])
    fake.reply(text="ok")
    run_id = hearth.start_run(session["id"], "echo again")
    seen, approval = run_to_approval_or_end(hearth, run_id)
    assert approval is None and completed(seen)[0]["output"] == "two"

    # the server changes echo: the grant is suspended and the card says what changed
    changed = client.put(
        "/api/mcp/servers/t",
        json={**variant_server("2"), "env": {"PYTHONPATH": None, "VARIANT": "2"}},
    )
    assert changed.status_code == 200 and "note" not in changed.json()
    fake.reply(tool_calls=[{"id": "c", "name": "t__echo", "arguments": {"text": "three"}}])
    fake.reply(text="ok")
    run_id = hearth.start_run(session["id"], "echo once more")
    _, approval = run_to_approval_or_end(hearth, run_id)
    assert approval is not None and "description changed" in approval["changed"]
    assert "copy_to" in approval["changed"]
    assert client.get("/api/grants").json()["grants"][0]["suspended"] is True
    finish(hearth, run_id, approval, "allow")  # the user decides again: the new echo is pinned
    assert client.get("/api/grants").json()["grants"][0]["suspended"] is False

    # deny: not offered at all; revoking the grant makes echo ask again
    assert (
        client.put(
            "/api/tools/policy", json={"server": "t", "tool": "add", "policy": "deny"}
        ).status_code
        == 200
    )
    listed = {
        (t["server"], t["name"]): t["policy"] for t in client.get("/api/tools").json()["tools"]
    }
    assert listed[("t", "add")] == "deny" and listed[(None, "read_file")] == "allow"
    assert listed[(None, "write_file")] == "ask" and listed[("t", "echo")] == "ask"
    grant_id = client.get("/api/grants").json()["grants"][0]["id"]
    assert client.delete(f"/api/grants/{grant_id}").status_code == 204
    assert client.delete(f"/api/grants/{grant_id}").status_code == 404
    fake.reply(tool_calls=[{"id": "d", "name": "t__echo", "arguments": {"text": "four"}}])
    fake.reply(text="ok")
    run_id = hearth.start_run(session["id"], "echo after revoking")
    _, approval = run_to_approval_or_end(hearth, run_id)
    names = {t.get("function", {}).get("name") for t in fake.last_body["tools"]}
    assert "t__add" not in names and "t__echo" in names
    assert approval is not None and "changed" not in approval
    finish(hearth, run_id, approval, "deny")

    # a built-in read-only tool set to ask asks; policy allow lets a writer run at once
    client.put("/api/tools/policy", json={"tool": "list_directory", "policy": "ask"})
    client.put("/api/tools/policy", json={"tool": "write_file", "policy": "allow"})
    fake.reply(
        tool_calls=[
            {"id": "e", "name": "write_file", "arguments": {"path": "n.txt", "content": "x"}},
            {"id": "f", "name": "list_directory", "arguments": {"path": "."}},
        ]
    )
    fake.reply(text="ok")
    run_id = hearth.start_run(session["id"], "write and list")
    seen, approval = run_to_approval_or_end(hearth, run_id)
    assert approval["tool"] == "list_directory" and (tmp_path / "n.txt").exists()
    finish(hearth, run_id, approval, "allow")
    bad = client.put("/api/tools/policy", json={"tool": "nope", "policy": "allow"})
    assert bad.status_code == 404


def test_allow_always_for_a_path_prefix(hearth, fake, tmp_path):
    (tmp_path / "notes").mkdir()
    session = hearth.new_session(workspace=str(tmp_path))
    call = {"id": "w1", "name": "write_file", "arguments": {"path": "notes/a.txt", "content": "a"}}
    fake.reply(tool_calls=[call])
    fake.reply(text="ok")
    run_id = hearth.start_run(session["id"], "write")
    _, approval = run_to_approval_or_end(hearth, run_id)
    assert approval["path_grants"] is True
    refused = hearth.client.post(
        f"/api/approvals/{approval['approval_id']}",
        json={"decision": "allow_always", "path_prefix": "../x"},
    )
    assert refused.status_code == 400
    answer, _ = finish(hearth, run_id, approval, "allow_always", path_prefix="notes")
    assert answer["grant"]["path_prefix"] == str(tmp_path / "notes")
    fake.reply(
        tool_calls=[
            {
                "id": "w2",
                "name": "write_file",
                "arguments": {"path": "notes/b.txt", "content": "b"},
            },
            {"id": "w3", "name": "write_file", "arguments": {"path": "other.txt", "content": "c"}},
        ]
    )
    fake.reply(text="ok")
    run_id = hearth.start_run(session["id"], "write two")
    seen, approval = run_to_approval_or_end(hearth, run_id)
    assert (tmp_path / "notes" / "b.txt").exists()  # inside the prefix: no question
    assert approval["arguments"]["path"] == "other.txt"
    finish(hearth, run_id, approval, "deny")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_sigkill_of_hearth_leaves_no_server_process(hearth):
    client = hearth.client
    client.put("/api/mcp/servers/t", json=stdio_test_server())
    client.put("/api/mcp/servers/time", json=time_server())
    assert client.post("/api/mcp/servers/t/start").json()["status"] == "connected"
    assert client.post("/api/mcp/servers/time/start").json()["status"] == "connected"
    children = psutil.Process(hearth.process.pid).children(recursive=True)
    assert len(children) >= 2
    hearth.process.send_signal(signal.SIGKILL)
    hearth.process.wait(10)
    wait_for(lambda: not any(pid_alive(c.pid) for c in children), timeout=10)


def test_a_grant_for_a_folder_does_not_follow_a_link_out_of_it(hearth, fake, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / ".git" / "hooks").mkdir(parents=True)
    os.symlink("../.git/hooks", tmp_path / "docs" / "hooks")
    session = hearth.new_session(workspace=str(tmp_path))
    call = {"id": "w1", "name": "write_file", "arguments": {"path": "docs/a.md", "content": "a"}}
    fake.reply(tool_calls=[call])
    fake.reply(text="ok")
    run_id = hearth.start_run(session["id"], "write")
    _, approval = run_to_approval_or_end(hearth, run_id)
    finish(hearth, run_id, approval, "allow_always", path_prefix="docs")
    hook = {"path": "docs/hooks/pre-commit", "content": "#!/bin/sh\necho owned\n"}
    fake.reply(
        tool_calls=[
            {"id": "w2", "name": "write_file", "arguments": {"path": "docs/b.md", "content": "b"}},
            {"id": "w3", "name": "write_file", "arguments": hook},
        ]
    )
    fake.reply(text="ok")
    run_id = hearth.start_run(session["id"], "write a hook")
    _, approval = run_to_approval_or_end(hearth, run_id)
    assert (tmp_path / "docs" / "b.md").exists()  # really inside docs: no question
    assert approval is not None and approval["arguments"]["path"] == "docs/hooks/pre-commit"
    assert not (tmp_path / ".git" / "hooks" / "pre-commit").exists()
    finish(hearth, run_id, approval, "deny")
    assert not (tmp_path / ".git" / "hooks" / "pre-commit").exists()


def test_a_replaced_or_removed_server_loses_its_grants_policies_and_pins(hearth, fake, tmp_path):
    client = hearth.client
    client.put("/api/mcp/servers/t", json=stdio_test_server())
    session = hearth.new_session(workspace=str(tmp_path))
    fake.reply(tool_calls=[{"id": "a", "name": "t__echo", "arguments": {"text": "one"}}])
    fake.reply(text="ok")
    run_id = hearth.start_run(session["id"], "echo")
    _, approval = run_to_approval_or_end(hearth, run_id)
    finish(hearth, run_id, approval, "allow_always")
    client.put("/api/tools/policy", json={"server": "t", "tool": "add", "policy": "allow"})
    assert len(client.get("/api/grants").json()["grants"]) == 1

    # Enabling and disabling, or the same command again, keep them.
    client.patch("/api/mcp/servers/t", json={"enabled": False})
    client.patch("/api/mcp/servers/t", json={"enabled": True})
    client.put("/api/mcp/servers/t", json={**stdio_test_server(), "env": {"PYTHONPATH": None}})
    assert len(client.get("/api/grants").json()["grants"]) == 1

    # Another program under the same name (here the same tools, copied): nothing carries over.
    replaced = client.put("/api/mcp/servers/t", json=stdio_test_server("--variant", "1"))
    assert replaced.status_code == 200
    assert client.get("/api/grants").json()["grants"] == []
    started = client.post("/api/mcp/servers/t/start").json()
    assert started["status"] == "connected", (started.get("error"), started.get("stderr"))
    assert {t["policy"] for t in started["tools"]} == {"ask"}
    fake.reply(tool_calls=[{"id": "b", "name": "t__echo", "arguments": {"text": "two"}}])
    fake.reply(text="ok")
    run_id = hearth.start_run(session["id"], "echo again")
    _, approval = run_to_approval_or_end(hearth, run_id)
    assert approval is not None and approval["server_tool"] == "echo"
    finish(hearth, run_id, approval, "allow_session")

    # Removed and added again: "allow for this session" is gone too.
    client.put("/api/tools/policy", json={"server": "t", "tool": "add", "policy": "allow"})
    assert client.delete("/api/mcp/servers/t").status_code == 204
    client.put("/api/mcp/servers/t", json=stdio_test_server("--variant", "1"))
    tools = client.post("/api/mcp/servers/t/start").json()["tools"]
    assert {t["policy"] for t in tools} == {"ask"}
    fake.reply(tool_calls=[{"id": "c", "name": "t__echo", "arguments": {"text": "three"}}])
    fake.reply(text="ok")
    run_id = hearth.start_run(session["id"], "echo once more")
    _, approval = run_to_approval_or_end(hearth, run_id)
    assert approval is not None
    finish(hearth, run_id, approval, "deny")


def test_unparsable_addresses_are_400_and_skipped_on_import(hearth):
    client = hearth.client
    for url in ("http://[::1", "http://127.0.0.1:notaport/mcp"):
        bad = client.put("/api/mcp/servers/x", json={"url": url})
        assert bad.status_code == 400, bad.text
        assert "http" in bad.json()["error"]["message"]
    imported = client.post(
        "/api/mcp/import",
        json={"mcpServers": {"v6": {"url": "http://[::1"}, "time": time_server()}},
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["added"] == ["time"]
    assert imported.json()["skipped"][0]["name"] == "v6"


def test_secrets_in_urls_and_args_are_not_shown_and_moved_secrets_not_kept(hearth):
    client = hearth.client
    client.put("/api/mcp/servers/q", json={"url": "https://mcp.example/mcp?token=SECRET1"})
    client.put("/api/mcp/servers/a", json={"command": "srv", "args": ["--password", "SECRET2"]})
    listed = client.get("/api/mcp/servers").text
    assert "SECRET1" not in listed and "SECRET2" not in listed
    client.put(
        "/api/mcp/servers/h",
        json={"url": "https://good.example/mcp", "headers": {"Authorization": "Bearer S"}},
    )
    moved = client.put(
        "/api/mcp/servers/h",
        json={"url": "https://attacker.example/mcp", "headers": {"Authorization": None}},
    ).json()
    assert moved["header_keys"] == [] and "Authorization" in moved["note"]
