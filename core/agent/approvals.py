"""Approvals: the ledger that says whether a tool call runs, asks, or is refused.

One ``ApprovalBroker`` serves the whole app. A run's worker thread calls ``approve_call()``,
which reads the ledger: the tool's policy (ask / allow / deny, set in Settings; by default a
built-in read-only tool is "allow", every other tool, every MCP tool included, "ask"), the
"allow always" grants kept in the store (for a tool on a server, optionally for a path
prefix), the "allow for this session" grants kept in memory, and the pins of MCP tools. When
it must ask, ``request()`` announces the approval through the run's ``emit`` and blocks; the
HTTP layer calls ``decide()`` from another thread when the user answers. Nothing polls: a
cancel settles the waiting approval through the run's CancelToken.

Pinning: the first time an MCP tool is allowed, its pin (a hash of its name, description and
input schema) is recorded. If its server later gives another one, every grant and the
"allow" policy of that tool are suspended: the call asks again, and its card says what
changed, until the user allows it again (which pins the new definition).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core import clock
from core.cancel import CancelToken
from core.errors import InvalidInput, NotFound
from core.ids import new_id

DECISIONS = ("allow", "allow_session", "allow_always", "deny")
POLICIES = ("ask", "allow_all")
TOOL_POLICIES = ("ask", "allow", "deny")

log = logging.getLogger(__name__)


def tool_key(tool: Any) -> tuple[str, str]:
    """(server, the tool's own name): server is '' for a built-in tool."""
    return getattr(tool, "server", "") or "", getattr(tool, "server_tool", None) or tool.name


def default_policy(tool: Any) -> str:
    """A built-in read-only tool runs at once; any other tool asks first."""
    if getattr(tool, "server", None):
        return "ask"  # a server's hints are not the user's word
    return "allow" if tool.read_only else "ask"


def takes_path(tool: Any) -> bool:
    """Whether a grant for ``tool`` may be narrowed to a path prefix (Hearth's file tools)."""
    properties = (getattr(tool, "parameters", None) or {}).get("properties") or {}
    return not getattr(tool, "server", None) and "path" in properties


@dataclass
class _Approval:
    approval_id: str
    session_id: str
    run_id: str
    tool: str
    arguments: Any
    summary: str
    requested_at: str
    server: str | None = None
    server_tool: str | None = None
    changed: str | None = None  # what changed in a pinned tool, as a sentence
    pin: tuple[str, dict] | None = None  # (hash, definition) to record when allowed
    workspace: str | None = None
    path_grants: bool = False  # "allow always" may be narrowed to a path prefix
    answered: threading.Event = field(default_factory=threading.Event)
    outcome: str | None = None  # a decision, or "cancelled"

    def public(self) -> dict[str, Any]:
        out = {
            "approval_id": self.approval_id,
            "session_id": self.session_id,
            "run_id": self.run_id,
            "tool": self.tool,
            "arguments": self.arguments,
            "summary": self.summary,
            "requested_at": self.requested_at,
        }
        return {**out, **self.extra()}

    def extra(self) -> dict[str, Any]:
        """What the approval card needs beyond a built-in tool's: server, change, prefix."""
        out: dict[str, Any] = {}
        if self.server:
            out.update(server=self.server, server_tool=self.server_tool)
        if self.changed:
            out["changed"] = self.changed
        if self.path_grants:
            out["path_grants"] = True
        return out


class ApprovalBroker:
    """Pending approvals and per-session grants, shared by every run; thread-safe."""

    def __init__(self, policy: Callable[[], str] = lambda: "ask", ledger: Any = None) -> None:
        self._policy = policy
        self.ledger = ledger  # the store (GrantsMixin), or None: policies by default only
        self._lock = threading.Lock()
        self._pending: dict[str, _Approval] = {}  # insertion order = request order
        # "allow for this session": (session_id, server, the tool's own name), server ''
        # for a built-in tool; never the model-facing name, which may change with a reconnect.
        self._granted: set[tuple[str, str, str]] = set()

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
        always_ask: bool = False,
        **extra: Any,
    ) -> str:
        """Ask the user; returns "allow", "allow_session", "allow_always", "deny" or
        "cancelled".

        Returns "allow" at once, without asking, when the policy is "allow_all" or the
        user allowed ``tool`` for this session (unless ``always_ask``). Otherwise emits
        ``approval.requested`` and blocks until ``decide()``, ``cancel_run()`` or ``cancel``
        is set. ``extra`` holds the _Approval's optional fields (server, changed, pin...).
        """
        key = (extra.get("server") or "", extra.get("server_tool") or tool)
        if not always_ask and self._auto_allowed(session_id, key):
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
            **extra,
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
                    **approval.extra(),
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

    def decide(
        self, approval_id: str, decision: str, path_prefix: str | None = None
    ) -> dict[str, Any]:
        """Answer a pending approval; returns it with its ``decision`` (and ``grant``).

        "allow_always" records a grant kept across restarts, for ``path_prefix`` only when
        given (a folder in the session's workspace; file tools only). Any allow pins an MCP
        tool's current definition. Raises InvalidInput for another decision or a bad prefix,
        and NotFound when no approval with that id is waiting (unknown, answered or
        cancelled).
        """
        if decision not in DECISIONS:
            raise InvalidInput(
                f"An approval's decision must be one of {', '.join(DECISIONS)}, not {decision!r}."
            )
        with self._lock:
            known = isinstance(approval_id, str)
            approval = self._pending.get(approval_id) if known else None
            if approval is None:
                raise NotFound(f"No approval with the id {approval_id} is waiting for an answer.")
            prefix = self._checked_prefix(approval, decision, path_prefix)
            del self._pending[approval_id]
            if decision == "allow_session":
                self._granted.add(
                    (
                        approval.session_id,
                        approval.server or "",
                        approval.server_tool or approval.tool,
                    )
                )
            approval.outcome = decision
        answer: dict[str, Any] = {**approval.public(), "decision": decision}
        try:
            if decision != "deny":
                self._pin(approval.server, approval.server_tool, approval.pin)
            if decision == "allow_always" and self.ledger is not None:
                answer["grant"] = self.ledger.add_grant(
                    approval.server or "",
                    approval.server_tool or approval.tool,
                    path_prefix=prefix,
                    session_id=approval.session_id,
                    session_title=self._title(approval.session_id),
                    workspace=approval.workspace,
                )
        finally:
            approval.answered.set()  # the run goes on even if the grant could not be saved
        return answer

    # --- the ledger --------------------------------------------------------------------

    def policy_for(self, tool: Any) -> str:
        """The tool's policy: the user's choice, else its default."""
        server, name = tool_key(tool)
        chosen = self.ledger.tool_policy(server, name) if self.ledger is not None else None
        return chosen or default_policy(tool)

    def offered(self, tools: list[Any]) -> list[Any]:
        """``tools`` without those the user set to deny: they are not offered to the model."""
        if self.ledger is None:
            return list(tools)
        policies = self.ledger.tool_policies()
        return [t for t in tools if (policies.get(tool_key(t)) or default_policy(t)) != "deny"]

    def approve_call(
        self,
        tool: Any,
        arguments: Mapping[str, Any],
        *,
        session_id: str,
        run_id: str,
        summary: str,
        workspace: Any,
        emit: Callable[[str, dict], None],
        cancel: CancelToken,
    ) -> str:
        """Whether this call may run: "allow", "deny", "blocked" (policy deny) or
        "cancelled"; asks the user (and waits) when the ledger does not decide."""
        server, name = tool_key(tool)
        policy = self.policy_for(tool)
        if policy == "deny":
            return "blocked"
        pin = (tool.pin, tool.definition) if getattr(tool, "pinned", False) else None
        changed = self._pin_change(server, name, pin)
        where = str(workspace) if workspace is not None else None
        if changed is None:
            allowed = (
                policy == "allow"
                or self._always(server, name, arguments, where)
                or self._auto_allowed(session_id, (server, name))
            )
            if allowed:
                self._pin(server, name, pin)
                return "allow"
        outcome = self.request(
            session_id=session_id,
            run_id=run_id,
            tool=tool.name,
            arguments=dict(arguments),
            summary=summary,
            emit=emit,
            cancel=cancel,
            always_ask=True,
            server=server or None,
            server_tool=name if server else None,
            changed=changed,
            pin=pin,
            workspace=where,
            path_grants=takes_path(tool),
        )
        return "allow" if outcome.startswith("allow") else outcome

    def _pin_change(self, server: str, name: str, pin: tuple[str, dict] | None) -> str | None:
        if pin is None or self.ledger is None:
            return None
        from core.agent.mcp.tool import changes

        recorded = self.ledger.tool_pin(server, name)
        if recorded is None or recorded["pin"] == pin[0]:
            return None
        return changes(recorded["definition"], pin[1])

    def _pin(self, server: str | None, name: str | None, pin: tuple[str, dict] | None) -> None:
        if pin is None or self.ledger is None or not server or not name:
            return
        recorded = self.ledger.tool_pin(server, name)
        if recorded is None or recorded["pin"] != pin[0]:
            self.ledger.pin_tool(server, name, pin[0], pin[1])

    def _always(
        self, server: str, name: str, arguments: Mapping[str, Any], workspace: str | None
    ) -> bool:
        if self.ledger is None:
            return False
        for grant in self.ledger.grants(server, name):
            prefix = grant["path_prefix"]
            if prefix is None:
                return True
            path = arguments.get("path")
            if isinstance(path, str) and "\x00" not in path and workspace is not None:
                if _inside_prefix(workspace, path, prefix, grant.get("workspace")):
                    return True
        return False

    def _checked_prefix(
        self, approval: _Approval, decision: str, path_prefix: str | None
    ) -> str | None:
        if path_prefix is None:
            return None
        if decision != "allow_always":
            raise InvalidInput("path_prefix goes only with the decision allow_always.")
        if not approval.path_grants or not approval.workspace:
            raise InvalidInput(
                f"A grant for {approval.tool} cannot be narrowed to a path: only the file "
                "tools take one."
            )
        if not isinstance(path_prefix, str) or "\x00" in path_prefix or len(path_prefix) > 4096:
            raise InvalidInput("path_prefix must be a folder path.")
        root = os.path.normpath(approval.workspace)
        target = os.path.normpath(os.path.join(root, path_prefix))
        if target != root and not target.startswith(root.rstrip(os.sep) + os.sep):
            raise InvalidInput(f"path_prefix {path_prefix!r} is outside the workspace {root}.")
        # The grant names the folder really reached (a link inside the workspace followed,
        # as the file tools follow it), written under the workspace as the session names it.
        real = os.path.relpath(os.path.realpath(target), os.path.realpath(root))
        if real == os.pardir or real.startswith(os.pardir + os.sep) or os.path.isabs(real):
            raise InvalidInput(f"path_prefix {path_prefix!r} leads outside the workspace {root}.")
        return os.path.normpath(os.path.join(root, real))

    def _title(self, session_id: str) -> str | None:
        try:
            return self.ledger.get_session(session_id, messages=False).get("title")
        except Exception:
            return None

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

    def forget_server(self, server: str) -> None:
        """Drop every session's "allow for this session" grants for the MCP server
        ``server`` (removed, or replaced by another command or URL)."""
        if not server:
            return
        with self._lock:
            self._granted = {g for g in self._granted if g[1] != server}

    def allowed_tools(self, session_id: str) -> list[str]:
        """The tools the user allowed for the whole session, sorted: a built-in tool by its
        name, an MCP tool as ``server/tool``."""
        with self._lock:
            return sorted(
                f"{server}/{tool}" if server else tool
                for sid, server, tool in self._granted
                if sid == session_id
            )

    def _auto_allowed(self, session_id: str, key: tuple[str, str]) -> bool:
        if self._policy() == "allow_all":
            return True
        with self._lock:
            return (session_id, *key) in self._granted

    def _settle(self, approval: _Approval, outcome: str) -> None:
        """Give ``approval`` its outcome unless it already has one, and wake its waiter."""
        with self._lock:
            if approval.outcome is not None:
                return
            self._pending.pop(approval.approval_id, None)
            approval.outcome = outcome
        approval.answered.set()


def _inside_prefix(workspace: str, path: str, prefix: str, granted_in: str | None) -> bool:
    """Whether the file ``path`` (relative to ``workspace``) really lies under ``prefix``.

    Compared on real paths, links followed as the file tools follow them (a link inside the
    workspace is followed; ``docs/hooks -> ../.git/hooks`` puts ``docs/hooks/x`` in .git),
    a path that does not exist yet by its nearest existing folder. The prefix must itself be
    the folder it names: one that became a link since the grant matches nothing.
    """
    try:
        target = os.path.realpath(os.path.join(workspace, path))
        real_prefix = os.path.realpath(prefix)
        base = granted_in or workspace
        relative = os.path.relpath(os.path.normpath(prefix), os.path.normpath(base))
        expected = os.path.normpath(os.path.join(os.path.realpath(base), relative))
    except (OSError, ValueError):
        return False
    if relative.startswith(os.pardir) or real_prefix != expected:
        return False
    return target == real_prefix or target.startswith(real_prefix.rstrip(os.sep) + os.sep)
