"""Approvals: a tool that does more than read waits here until the user answers.

One ``ApprovalBroker`` serves the whole app. A run's worker thread calls ``request()``,
which announces the approval through the run's ``emit`` and blocks; the HTTP layer calls
``decide()`` from another thread when the user answers. "allow_session" is remembered per
(session, tool), in memory only: a restart asks again, which errs on the safe side.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core import clock
from core.cancel import CancelToken
from core.errors import InvalidInput, NotFound
from core.ids import new_id

DECISIONS = ("allow", "allow_session", "deny")
POLICIES = ("ask", "allow_all")


@dataclass
class _Approval:
    approval_id: str
    session_id: str
    run_id: str
    tool: str
    arguments: Any
    summary: str
    requested_at: str
    answered: threading.Event = field(default_factory=threading.Event)
    outcome: str | None = None  # a decision, or "cancelled"

    def public(self) -> dict[str, Any]:
        return {
            "approval_id": self.approval_id,
            "session_id": self.session_id,
            "run_id": self.run_id,
            "tool": self.tool,
            "arguments": self.arguments,
            "summary": self.summary,
            "requested_at": self.requested_at,
        }


class ApprovalBroker:
    """Pending approvals and per-session grants, shared by every run; thread-safe."""

    def __init__(self, policy: Callable[[], str] = lambda: "ask") -> None:
        self._policy = policy
        self._lock = threading.Lock()
        self._pending: dict[str, _Approval] = {}  # insertion order = request order
        self._granted: set[tuple[str, str]] = set()  # (session_id, tool)

    def request(
        self,
        *,
        session_id: str,
        run_id: str,
        tool: str,
        arguments: dict,
        summary: str,
        emit: Callable[[str, dict], None],
        cancel: CancelToken,
    ) -> str:
        """Ask the user; returns "allow", "allow_session", "deny" or "cancelled".

        Returns "allow" at once, without asking, when the policy is "allow_all" or the
        user allowed ``tool`` for this session. Otherwise emits ``approval.requested``
        and blocks until ``decide()``, ``cancel_run()`` or ``cancel`` is set.
        """
        if self._auto_allowed(session_id, tool):
            return "allow"
        if cancel.is_set():
            return "cancelled"
        approval = _Approval(
            approval_id=new_id(),
            session_id=session_id,
            run_id=run_id,
            tool=tool,
            arguments=arguments,
            summary=summary,
            requested_at=clock.now(),
        )
        with self._lock:
            self._pending[approval.approval_id] = approval
        try:
            # Registered first, so an answer that comes back at once finds it.
            emit(
                "approval.requested",
                {
                    "approval_id": approval.approval_id,
                    "tool": tool,
                    "arguments": arguments,
                    "summary": summary,
                },
            )
            unsubscribe = cancel.on_cancel(lambda: self._settle(approval, "cancelled"))
            try:
                approval.answered.wait()
            finally:
                unsubscribe()
        finally:
            # An emit that raised (or an interrupt) must not leave a card nobody waits for.
            self._settle(approval, "cancelled")
        assert approval.outcome is not None
        return approval.outcome

    def decide(self, approval_id: str, decision: str) -> dict[str, Any]:
        """Answer a pending approval; returns it with its ``decision``.

        Raises InvalidInput for a decision other than allow, allow_session or deny, and
        NotFound when no approval with that id is waiting (unknown, answered or cancelled).
        """
        if decision not in DECISIONS:
            raise InvalidInput(
                f"An approval's decision must be one of {', '.join(DECISIONS)}, not {decision!r}."
            )
        with self._lock:
            known = isinstance(approval_id, str)
            approval = self._pending.pop(approval_id, None) if known else None
            if approval is None:
                raise NotFound(f"No approval with the id {approval_id} is waiting for an answer.")
            if decision == "allow_session":
                self._granted.add((approval.session_id, approval.tool))
            approval.outcome = decision
        approval.answered.set()
        return {**approval.public(), "decision": decision}

    def pending(self, session_id: str | None = None) -> list[dict[str, Any]]:
        """The approvals still waiting, oldest first; only ``session_id``'s if given."""
        with self._lock:
            return [
                a.public()
                for a in self._pending.values()
                if session_id is None or a.session_id == session_id
            ]

    def cancel_run(self, run_id: str) -> None:
        """Reject the run's waiting approvals: their ``request()`` returns "cancelled"."""
        with self._lock:
            waiting = [a for a in self._pending.values() if a.run_id == run_id]
        for approval in waiting:
            self._settle(approval, "cancelled")

    def forget_session(self, session_id: str) -> None:
        """Drop the session's "allow for this session" grants (say, when it is deleted)."""
        with self._lock:
            self._granted = {g for g in self._granted if g[0] != session_id}

    def allowed_tools(self, session_id: str) -> list[str]:
        """The tools the user allowed for the whole session, sorted."""
        with self._lock:
            return sorted(tool for sid, tool in self._granted if sid == session_id)

    def _auto_allowed(self, session_id: str, tool: str) -> bool:
        if self._policy() == "allow_all":
            return True
        with self._lock:
            return (session_id, tool) in self._granted

    def _settle(self, approval: _Approval, outcome: str) -> None:
        """Give ``approval`` its outcome unless it already has one, and wake its waiter."""
        with self._lock:
            if approval.outcome is not None:
                return
            self._pending.pop(approval.approval_id, None)
            approval.outcome = outcome
        approval.answered.set()
