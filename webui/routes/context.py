"""The context window: how full a session's next request is, and "Compact now"."""

from __future__ import annotations

import logging
from typing import Any

import bottle

from core.agent.context.plan import plan_request
from webui.http import reply

log = logging.getLogger(__name__)


def install(app: bottle.Bottle, hearth) -> None:
    @app.post("/api/sessions/<session_id>/compact")
    def compact(session_id: str):
        run = hearth.runs.compact(session_id)
        return reply({"run_id": run["id"], "session_id": run["session_id"], "run": run}, 202)


def describe(hearth: Any, session: dict[str, Any]) -> dict[str, Any]:
    """``{"used_tokens", "window_tokens", ...}`` for ``session`` (which holds its messages)."""
    history = session.get("messages") or []
    of = getattr(hearth.agent, "context_of", None)
    if of is not None:
        try:
            return of(session, history)
        except Exception:  # the meter must never break reading a session
            log.exception("cannot measure the context of session %s", session.get("id"))
    plan = plan_request(history, system="", build=False)
    return {"used_tokens": plan.used_tokens, "window_tokens": None, "parts": plan.parts}
