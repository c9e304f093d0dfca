"""Versions of a conversation: show another branch, fork a chat from a message."""

from __future__ import annotations

import bottle

from webui.http import field, json_body, reply
from webui.workspace_notice import with_notice


def install(app: bottle.Bottle, hearth) -> None:
    store = hearth.store

    @app.post("/api/sessions/<session_id>/path")
    def show_path(session_id: str):
        body = json_body()
        message_id = field(body, "message_id", str, required=True)
        return reply(with_notice(hearth.settings, store.show_path(session_id, message_id)))

    @app.post("/api/sessions/<session_id>/fork")
    def fork(session_id: str):
        body = json_body()
        message_id = field(body, "message_id", str, required=True)
        return reply(with_notice(hearth.settings, store.fork_session(session_id, message_id)), 201)
