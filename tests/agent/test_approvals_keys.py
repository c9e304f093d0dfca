"""The ledger's keys: "allow for this session" belongs to (server, tool), not to the name the
model sees; a folder grant is matched on the real path, links followed; a removed server's
approvals are forgotten. Through ApprovalBroker.approve_call with the real store."""

from __future__ import annotations

import os
import threading

import pytest

from core.agent.approvals import ApprovalBroker
from core.cancel import CancelToken
from core.errors import InvalidInput
from tests.agent.conftest_turn import WAIT, Events


class FakeMcpTool:
    """What approve_call reads of an MCP tool."""

    read_only = False
    pinned = False
    parameters = {"type": "object", "properties": {}}

    def __init__(self, name: str, server: str, server_tool: str) -> None:
        self.name, self.server, self.server_tool = name, server, server_tool


class WriteFile:
    name = "write_file"
    read_only = False
    parameters = {"type": "object", "properties": {"path": {}, "content": {}}}


class Call:
    """One approve_call in a thread, as a run's worker makes it."""

    def __init__(self, broker, tool, arguments=None, *, session="s1", workspace=None):
        self.events = Events()
        self.outcome: str | None = None
        self.thread = threading.Thread(
            target=self._run, args=(broker, tool, arguments or {}, session, workspace)
        )
        self.thread.start()

    def _run(self, broker, tool, arguments, session, workspace):
        try:
            self.outcome = broker.approve_call(
                tool,
                arguments,
                session_id=session,
                run_id="r1",
                summary="use it",
                workspace=workspace,
                emit=self.events,
                cancel=CancelToken(),
            )
        finally:
            self.events("done", {})

    def answer(self, broker, decision, **extra) -> str:
        approval_id = self.events.wait_for("approval.requested")["approval_id"]
        broker.decide(approval_id, decision, **extra)
        return self.result()

    def result(self) -> str:
        self.thread.join(WAIT)
        assert not self.thread.is_alive()
        return self.outcome

    def asked(self) -> bool:
        """Whether the call asks (rather than being decided at once): its first event."""
        changed = self.events._changed
        with changed:
            assert changed.wait_for(self.events.types_locked, WAIT)
            return self.events.types_locked()[0] == "approval.requested"


def test_allow_for_this_session_follows_the_server_not_the_exposed_name(store):
    broker = ApprovalBroker(ledger=store)
    first = Call(broker, FakeMcpTool("x__echo", "x", "echo"))
    assert first.answer(broker, "allow_session") == "allow"
    # After a reconnect the same model-facing name belongs to another server's tool.
    other = Call(broker, FakeMcpTool("x__echo", "x.", "echo"))
    assert other.asked()
    assert other.answer(broker, "deny") == "deny"
    assert broker.allowed_tools("s1") == ["x/echo"]
    # The allowed tool under another exposed name (a hash added) still runs.
    renamed = Call(broker, FakeMcpTool("x__echo_1a2b3c4d", "x", "echo"))
    assert renamed.result() == "allow" and renamed.events.of("approval.requested") == []
    broker.forget_server("x")
    after = Call(broker, FakeMcpTool("x__echo", "x", "echo"))
    assert after.asked()
    after.answer(broker, "deny")


def test_a_folder_grant_is_matched_on_the_real_path(store, tmp_path):
    workspace = tmp_path / "w"
    (workspace / "docs").mkdir(parents=True)
    (workspace / ".git" / "hooks").mkdir(parents=True)
    os.symlink("../.git/hooks", workspace / "docs" / "hooks")
    broker = ApprovalBroker(ledger=store)
    first = Call(broker, WriteFile(), {"path": "docs/a.md"}, workspace=workspace)
    assert first.answer(broker, "allow_always", path_prefix="docs") == "allow"

    def runs_unasked(path: str) -> bool:
        call = Call(broker, WriteFile(), {"path": path}, workspace=workspace)
        if call.asked():
            call.answer(broker, "deny")
            return False
        return call.result() == "allow"

    assert runs_unasked("docs/a.md")
    assert runs_unasked("docs/new/deeper/file.md")  # not there yet: its nearest folder
    assert runs_unasked("./docs/../docs/b.md")
    assert not runs_unasked("docs/hooks/pre-commit")  # the link leads into .git
    assert not runs_unasked("docs/hooks/new/x")
    assert not runs_unasked("docs/../.git/config")
    assert not runs_unasked("docs\x00/a.md")
    # A grant for a folder reached through a link names the folder it leads to.
    link = Call(broker, WriteFile(), {"path": "docs/hooks/x"}, workspace=workspace)
    link.answer(broker, "allow_always", path_prefix="docs/hooks")
    assert store.grants()[0]["path_prefix"] == str(workspace / ".git" / "hooks")
    assert runs_unasked(".git/hooks/y") and runs_unasked("docs/hooks/z")
    assert not runs_unasked(".git/config")
    os.symlink(str(tmp_path), workspace / "out")
    escape = Call(broker, WriteFile(), {"path": "out/x"}, workspace=workspace)
    approval_id = escape.events.wait_for("approval.requested")["approval_id"]
    with pytest.raises(InvalidInput, match="outside"):
        broker.decide(approval_id, "allow_always", path_prefix="out")
    broker.decide(approval_id, "deny")
    assert escape.result() == "deny"
    # The folder itself swapped for a link: the grant matches nothing.
    os.rename(workspace / "docs", workspace / "old-docs")
    os.symlink(".git", workspace / "docs")
    assert not runs_unasked("docs/config")


def test_forget_server_drops_its_grants_policies_and_pins(store):
    store.add_grant("t", "echo")
    store.add_grant("", "write_file")
    store.set_tool_policy("t", "add", "allow")
    store.pin_tool("t", "echo", "abc", {"name": "echo"})
    store.forget_server("t")
    assert [(g["server"], g["tool"]) for g in store.grants()] == [(None, "write_file")]
    assert store.tool_policy("t", "add") is None and store.tool_pin("t", "echo") is None
    store.forget_server("")  # '' names Hearth's own tools: never forgotten this way
    assert len(store.grants()) == 1
