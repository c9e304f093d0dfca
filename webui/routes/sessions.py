"""Sessions: list and search, create, read, rename or pin, delete, export and import."""

from __future__ import annotations

import re

import bottle

from core.folders import existing_folder
from webui.http import fail, field, json_body, no_content, query_int, reply
from webui.routes import context, imports
from webui.routes.attachments import export_zip
from webui.workspace_notice import with_notice

SESSION_FIELDS = {"title": str, "model": str, "workspace": str, "system_prompt": str}
PATCH_FIELDS = {**SESSION_FIELDS, "pinned": bool, "tools_enabled": bool}
CONFIRM_FIELDS = ("workspace", "system_prompt")


def install(app: bottle.Bottle, hearth) -> None:
    store = hearth.store

    def noticed(session: dict) -> dict:
        return with_notice(hearth.settings, session)

    @app.get("/api/sessions")
    def list_sessions():
        limit = query_int("limit", 50, 1, 500)
        offset = query_int("offset", 0, 0)
        q = bottle.request.query.getunicode("q") or None
        return reply(store.list_sessions(limit=limit, offset=offset, q=q))

    @app.post("/api/sessions")
    def create_session():
        body = json_body(optional=True)
        values = {name: field(body, name, kind) for name, kind in SESSION_FIELDS.items()}
        values["title"] = values["title"] or ""
        tools_enabled = field(body, "tools_enabled", bool)
        session = store.create_session(**values)
        if tools_enabled is False:  # a new chat that takes the last choice: chat only
            session = store.update_session(session["id"], tools_enabled=False)
        return reply(noticed(session), 201)

    importer = imports.install(app, hearth)

    @app.post("/api/sessions/import")
    def import_session():
        return importer.handle()

    @app.post("/api/sessions/<session_id>/confirm-import")
    def confirm_import(session_id: str):
        body = json_body(optional=True)
        unknown = sorted(set(body) - set(CONFIRM_FIELDS))
        if unknown:
            return fail(400, "invalid_input", f"Unknown field: {', '.join(unknown)}.")
        choices = {name: field(body, name, bool) or False for name in CONFIRM_FIELDS}
        return reply(noticed(store.confirm_import(session_id, **choices)))

    @app.get("/api/sessions/<session_id>")
    def get_session(session_id: str):
        session = store.get_session(session_id)
        session["context"] = context.describe(hearth, session)
        return reply(noticed(session))

    @app.route("/api/sessions/<session_id>", method="PATCH")
    def update_session(session_id: str):
        body = json_body()
        changes = {}
        for name, kind in PATCH_FIELDS.items():
            if name in body:
                value = field(body, name, kind)
                if value is None and name in ("title", "pinned", "tools_enabled"):
                    field(body, name, kind, required=True)
                changes[name] = value
        if changes.get("workspace"):  # a typed one is checked before any run needs it
            existing_folder(changes["workspace"])
        return reply(noticed(store.update_session(session_id, **changes)))

    @app.delete("/api/sessions/<session_id>")
    def delete_session(session_id: str):
        store.delete_session(session_id)
        if hearth.approvals is not None:
            hearth.approvals.forget_session(session_id)
        return no_content()

    @app.get("/api/sessions/<session_id>/export")
    def export_session(session_id: str):
        kind = bottle.request.query.get("format") or "markdown"
        if kind not in ("markdown", "json", "zip"):
            return fail(400, "invalid_input", "format must be markdown, json or zip.")
        session = store.get_session(session_id, messages=False)
        name = _file_name(session["title"])
        if kind == "zip":  # the JSON export with the files its messages carry
            return export_zip(hearth, session_id, name)
        if kind == "json":
            data = store.export_json(session_id)
            response = reply(data)
            response.set_header("Content-Disposition", f'attachment; filename="{name}.json"')
            return response
        text = store.export_markdown(session_id)
        return bottle.HTTPResponse(
            text.encode("utf-8"),
            status=200,
            headers={
                "Content-Type": "text/markdown; charset=utf-8",
                "Content-Disposition": f'attachment; filename="{name}.md"',
                "Cache-Control": "no-store",
            },
        )


def _file_name(title: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._ -]+", "", title).strip().replace(" ", "-")
    return name[:60] or "hearth-session"
