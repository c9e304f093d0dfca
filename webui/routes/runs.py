"""Runs: start a turn, read its state, stream its events, cancel it."""

from __future__ import annotations

import bottle

from core.errors import InvalidInput
from webui.http import fail, field, json_body, reply
from webui.routes.attachments import check_attachments
from webui.sse import Holding, StreamSlots, stream


def install(app: bottle.Bottle, hearth) -> None:
    runs = hearth.runs
    slots = StreamSlots()

    @app.post("/api/sessions/<session_id>/runs")
    def start_run(session_id: str):
        body = json_body()
        attached = field(body, "attachments", list)
        if attached:
            check_attachments(hearth, session_id, attached, field(body, "model", str))
        run = runs.start(
            session_id,
            field(body, "content", str),
            field(body, "model", str),
            edit=field(body, "edit", str),
            regenerate=field(body, "regenerate", str),
            continue_id=field(body, "continue", str),
            attachments=attached,
        )
        return reply({"run_id": run["id"], "session_id": run["session_id"], "run": run}, 202)

    @app.get("/api/runs/<run_id>")
    def get_run(run_id: str):
        return reply(runs.get(run_id))

    @app.post("/api/runs/<run_id>/cancel")
    def cancel_run(run_id: str):
        run = runs.cancel(run_id)
        return reply({"run_id": run["id"], "status": run["status"]}, 202)

    @app.get("/api/runs/<run_id>/events")
    def run_events(run_id: str):
        after = _after()
        log = runs.events(run_id, after)
        release = slots.take(bottle.request.environ.get("hearth.client") or "anonymous")
        if release is None:
            return fail(
                429,
                "too_many_streams",
                f"Too many event streams are open (at most {slots.per_client} per client and"
                f" {slots.total} in all); close one, or wait for a run to end, and try again.",
            )
        response = bottle.response
        response.content_type = "text/event-stream; charset=utf-8"
        response.set_header("Cache-Control", "no-cache, no-store")
        response.set_header("X-Accel-Buffering", "no")
        return Holding(stream(log, after), release)


def _after() -> int:
    raw = bottle.request.get_header("Last-Event-ID") or bottle.request.query.get("after")
    if raw is None or raw.strip() == "":
        return 0
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 15:
        raise InvalidInput("Last-Event-ID (or after) must be a whole number, 0 or more.")
    return int(raw)
