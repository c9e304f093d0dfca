"""Cancel ends a turn within a second: while streaming, while a command runs, while asking."""

from __future__ import annotations

import os
import threading
import time

import psutil
import pytest

from core.agent.approvals import ApprovalBroker
from core.errors import NotFound
from tests.agent.conftest_turn import WAIT, Turn
from tests.fakes import fixtures

any_fake = fixtures.any_fake


def test_cancel_while_streaming_closes_the_stream_and_keeps_the_text(any_fake, tmp_path):
    hold = threading.Event()
    reply = any_fake.reply(text="First part. Second part.", chunks=2, hold=hold, hold_after=1)
    turn = Turn(any_fake, tmp_path).start()
    try:
        assert reply.stalled.wait(WAIT)
        turn.events.wait_for("text.delta")

        result, took = turn.cancel_and_time()

        assert result == "cancelled"
        assert took < 1.0
        assert turn.live.text == "First part. "
        assert any_fake.model_requests[-1].disconnected.wait(WAIT)  # the connection is gone
        assert len(any_fake.model_requests) == 1
    finally:
        hold.set()


def test_cancel_before_the_first_byte(any_fake, tmp_path):
    hold = threading.Event()
    reply = any_fake.reply(text="never", hold=hold, hold_before_headers=True)
    turn = Turn(any_fake, tmp_path).start()
    try:
        assert reply.stalled.wait(WAIT)

        result, took = turn.cancel_and_time()

        assert result == "cancelled" and took < 1.0
        assert turn.live.text == "" and turn.events.items == []
    finally:
        hold.set()


def sleeping_children() -> list[psutil.Process]:
    found = []
    for child in psutil.Process(os.getpid()).children(recursive=True):
        try:
            if child.name() == "sleep" or "sleep 30" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def running(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those still alive. A killed grandchild may stay a zombie until init reaps it: dead."""
    alive = []
    for process in processes:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


def wait_until(condition, timeout: float = WAIT, step: float = 0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not true within {timeout} s")


@pytest.mark.skipif(os.name == "nt", reason="uses sh and sleep")
def test_cancel_while_a_command_runs_kills_it_without_orphans(any_fake, tmp_path):
    any_fake.reply(
        tool_calls=[{"id": "call_s", "name": "run_command", "arguments": {"command": "sleep 30"}}]
    )
    turn = Turn(any_fake, tmp_path, approvals=ApprovalBroker(policy=lambda: "allow_all")).start()
    turn.events.wait_for("tool.started")
    sleepers = wait_until(sleeping_children)

    result, took = turn.cancel_and_time()

    assert result == "cancelled"
    assert took < 1.0
    assert running(sleepers) == [], "the command outlived the cancel"
    assert running(sleeping_children()) == []
    own = psutil.Process(os.getpid()).children()
    assert [p for p in own if p not in running(own) and p.is_running()] == [], (
        "Hearth left its own child unreaped"
    )
    completed = turn.events.of("tool.completed")[0]
    assert "cancelled by the user" in completed["output"]
    steps = turn.live.pending().steps
    assert [s["role"] for s in steps] == ["assistant", "tool"]  # the result is kept
    assert len(any_fake.model_requests) == 1  # the model is not asked again


def test_cancel_while_an_approval_waits(any_fake, tmp_path):
    any_fake.reply(
        tool_calls=[
            {"id": "call_w", "name": "write_file", "arguments": {"path": "no.txt", "content": "no"}}
        ]
    )
    turn = Turn(any_fake, tmp_path).start()
    asked = turn.events.wait_for("approval.requested")

    result, took = turn.cancel_and_time()

    assert result == "cancelled"
    assert took < 1.0
    assert turn.approvals.pending() == []
    with pytest.raises(NotFound):
        turn.approvals.decide(asked["approval_id"], "allow")
    assert not (tmp_path / "no.txt").exists()
    completed = turn.events.of("tool.completed")[0]
    assert completed["ok"] is False and "cancelled" in completed["output"]
    assert len(any_fake.model_requests) == 1


def test_cancel_through_the_broker_rejects_the_approval_at_once(any_fake, tmp_path):
    any_fake.reply(
        tool_calls=[
            {"id": "call_w", "name": "write_file", "arguments": {"path": "no.txt", "content": "no"}}
        ]
    )
    turn = Turn(any_fake, tmp_path).start()
    turn.events.wait_for("approval.requested")

    started = time.monotonic()
    turn.cancel.set()
    turn.approvals.cancel_run("run-1")  # what the run manager does beside setting cancel

    assert turn.join() == "cancelled"
    assert turn.ended_at - started < 1.0
    assert not (tmp_path / "no.txt").exists()
