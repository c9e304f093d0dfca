"""ApprovalBroker on its own: asking, answering, remembering, cancelling, many threads at once."""

from __future__ import annotations

import threading
import time

import pytest

from core.agent.approvals import ApprovalBroker
from core.cancel import CancelToken
from core.errors import InvalidInput, NotFound
from tests.agent.conftest_turn import WAIT, Events


class Asker:
    """One request() in a thread, as a run's worker would make it."""

    def __init__(
        self,
        broker: ApprovalBroker,
        *,
        session: str = "s1",
        run: str = "r1",
        tool: str = "write_file",
        cancel: threading.Event | None = None,
    ) -> None:
        self.events = Events()
        self.cancel = cancel or CancelToken()
        self.outcome: str | None = None
        self.returned_at: float | None = None
        self.thread = threading.Thread(target=self._ask, args=(broker, session, run, tool))
        self.thread.start()

    def _ask(self, broker, session, run, tool):
        self.outcome = broker.request(
            session_id=session,
            run_id=run,
            tool=tool,
            arguments={"path": "a.txt"},
            summary=f"Use {tool}",
            emit=self.events,
            cancel=self.cancel,
        )
        self.returned_at = time.monotonic()

    def approval_id(self) -> str:
        return self.events.wait_for("approval.requested")["approval_id"]

    def result(self) -> str:
        self.thread.join(WAIT)
        assert not self.thread.is_alive()
        assert self.outcome is not None
        return self.outcome


def test_request_announces_the_approval_and_waits_for_the_answer():
    broker = ApprovalBroker()
    asker = Asker(broker)
    approval_id = asker.approval_id()

    assert asker.events.items == [
        (
            "approval.requested",
            {
                "approval_id": approval_id,
                "tool": "write_file",
                "arguments": {"path": "a.txt"},
                "summary": "Use write_file",
            },
        )
    ]
    [waiting] = broker.pending()
    assert waiting["approval_id"] == approval_id
    assert waiting["session_id"] == "s1" and waiting["run_id"] == "r1"
    assert waiting["requested_at"].endswith("Z")
    assert asker.thread.is_alive()

    answered = broker.decide(approval_id, "allow")

    assert answered["decision"] == "allow" and answered["approval_id"] == approval_id
    assert asker.result() == "allow"
    assert broker.pending() == []


@pytest.mark.parametrize("decision", ["allow", "allow_session", "deny"])
def test_each_decision_is_returned(decision):
    broker = ApprovalBroker()
    asker = Asker(broker)
    broker.decide(asker.approval_id(), decision)
    assert asker.result() == decision


def test_bad_decisions_and_unknown_ids_are_refused():
    broker = ApprovalBroker()
    asker = Asker(broker)
    approval_id = asker.approval_id()

    with pytest.raises(InvalidInput):
        broker.decide(approval_id, "maybe")
    with pytest.raises(NotFound):
        broker.decide("no-such-approval", "allow")
    assert asker.thread.is_alive()  # a bad answer is no answer

    broker.decide(approval_id, "deny")
    with pytest.raises(NotFound):
        broker.decide(approval_id, "allow")
    assert asker.result() == "deny"


def test_allow_session_covers_that_session_and_tool_until_forgotten():
    broker = ApprovalBroker()
    first = Asker(broker)
    broker.decide(first.approval_id(), "allow_session")
    assert first.result() == "allow_session"

    again = Asker(broker)
    assert again.result() == "allow"
    assert again.events.items == []
    assert broker.allowed_tools("s1") == ["write_file"]

    other_tool = Asker(broker, tool="run_command")
    other_session = Asker(broker, session="s2")
    broker.decide(other_tool.approval_id(), "deny")
    broker.decide(other_session.approval_id(), "deny")
    assert other_tool.result() == "deny" and other_session.result() == "deny"

    broker.forget_session("s1")
    after = Asker(broker)
    broker.decide(after.approval_id(), "allow")
    assert after.result() == "allow"


def test_policy_is_read_at_each_request():
    policy = ["allow_all"]
    broker = ApprovalBroker(policy=lambda: policy[0])
    assert Asker(broker).result() == "allow"

    policy[0] = "ask"
    asker = Asker(broker)
    approval_id = asker.approval_id()
    broker.decide(approval_id, "allow")
    assert asker.result() == "allow"


def test_pending_filters_by_session():
    broker = ApprovalBroker()
    askers = [Asker(broker, session="s1"), Asker(broker, session="s2", run="r2")]
    ids = [a.approval_id() for a in askers]

    assert [p["approval_id"] for p in broker.pending("s2")] == [ids[1]]
    assert sorted(p["approval_id"] for p in broker.pending()) == sorted(ids)
    for approval_id in ids:
        broker.decide(approval_id, "deny")


def test_cancel_run_rejects_only_that_runs_approvals():
    broker = ApprovalBroker()
    doomed = [Asker(broker, run="r1"), Asker(broker, run="r1", tool="run_command")]
    spared = Asker(broker, run="r2")
    for asker in [*doomed, spared]:
        asker.approval_id()

    broker.cancel_run("r1")

    assert [a.result() for a in doomed] == ["cancelled", "cancelled"]
    assert spared.thread.is_alive()
    [left] = broker.pending()
    assert left["run_id"] == "r2"
    broker.decide(left["approval_id"], "allow")
    assert spared.result() == "allow"


def test_the_cancel_event_wakes_a_waiting_request_at_once():
    broker = ApprovalBroker()
    asker = Asker(broker)
    approval_id = asker.approval_id()

    started = time.monotonic()
    asker.cancel.set()

    assert asker.result() == "cancelled"
    assert asker.returned_at - started < 0.5
    assert broker.pending() == []
    with pytest.raises(NotFound):
        broker.decide(approval_id, "allow")


def test_an_already_cancelled_run_is_not_asked():
    broker = ApprovalBroker()
    cancel = CancelToken()
    cancel.set()
    asker = Asker(broker, cancel=cancel)
    assert asker.result() == "cancelled"
    assert asker.events.items == []


def test_an_emit_that_fails_leaves_no_pending_approval():
    broker = ApprovalBroker()

    def broken_emit(kind, data):
        raise RuntimeError("the event log is gone")

    with pytest.raises(RuntimeError):
        broker.request(
            session_id="s",
            run_id="r",
            tool="t",
            arguments={},
            summary="",
            emit=broken_emit,
            cancel=CancelToken(),
        )
    assert broker.pending() == []


def test_many_runs_asking_and_answering_at_once():
    broker = ApprovalBroker()
    decisions = ["allow", "deny"]
    askers = [Asker(broker, session=f"s{i}", run=f"r{i}") for i in range(24)]
    expected = {}
    answerers = []
    for index, asker in enumerate(askers):
        approval_id = asker.approval_id()
        decision = decisions[index % 2]
        expected[index] = decision
        answerers.append(threading.Thread(target=broker.decide, args=(approval_id, decision)))
    for thread in answerers:
        thread.start()
    for thread in answerers:
        thread.join(WAIT)

    assert {i: a.result() for i, a in enumerate(askers)} == expected
    assert broker.pending() == []


def test_racing_answers_to_one_approval_count_once():
    broker = ApprovalBroker()
    asker = Asker(broker)
    approval_id = asker.approval_id()
    wins, losses = [], []
    gate = threading.Barrier(8)

    def answer(decision):
        gate.wait()
        try:
            wins.append(broker.decide(approval_id, decision)["decision"])
        except NotFound:
            losses.append(decision)

    threads = [
        threading.Thread(target=answer, args=(d,))
        for d in ["allow", "deny", "allow_session", "allow"] * 2
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)

    assert len(wins) == 1 and len(losses) == 7
    assert asker.result() == wins[0]


def test_cancel_racing_an_answer_gives_one_outcome():
    for _ in range(20):
        broker = ApprovalBroker()
        asker = Asker(broker)
        approval_id = asker.approval_id()
        answered = []

        def answer(approval_id=approval_id, answered=answered, broker=broker):
            try:
                broker.decide(approval_id, "allow")
                answered.append(True)
            except NotFound:
                answered.append(False)

        racer = threading.Thread(target=answer)
        racer.start()
        broker.cancel_run("r1")
        racer.join(WAIT)

        outcome = asker.result()
        assert outcome == ("allow" if answered[0] else "cancelled")
        assert broker.pending() == []
