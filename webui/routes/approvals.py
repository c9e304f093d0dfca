"""Approvals: what the agent waits for the user to allow, and the user's answers."""

from __future__ import annotations

import bottle

from core.errors import NotFound
from webui.http import fail, field, json_body, reply

DECISIONS = ("allow", "allow_session", "allow_always", "deny")


def install(app: bottle.Bottle, hearth) -> None:
    @app.get("/api/approvals")
    def pending():
        if hearth.approvals is None:
            return reply({"approvals": []})
        session_id = bottle.request.query.get("session_id") or None
        return reply({"approvals": hearth.approvals.pending(session_id=session_id)})

    @app.post("/api/approvals/<approval_id>")
    def decide(approval_id: str):
        body = json_body()
        decision = field(body, "decision", str, required=True)
        if decision not in DECISIONS:
            return fail(
                400,
                "invalid_input",
                "decision must be allow, allow_session, allow_always or deny.",
            )
        path_prefix = field(body, "path_prefix", str)
        if hearth.approvals is None:
            raise NotFound(f"No approval has the id {approval_id}.")
        if path_prefix is None:
            return reply(hearth.approvals.decide(approval_id, decision))
        return reply(hearth.approvals.decide(approval_id, decision, path_prefix=path_prefix))
