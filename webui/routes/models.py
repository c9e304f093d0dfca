"""Local models: list them, add a GGUF file by path, remove one, choose the one new chats use,
and download GGUF files from Hugging Face (or a URL) in the background."""

from __future__ import annotations

import bottle

from core.agent.local.catalog import Catalog, memory_now
from core.agent.local.download import SUGGESTIONS, Downloads
from core.errors import InvalidInput
from webui.http import json_body, no_content, reply


def install(app: bottle.Bottle, hearth) -> None:
    catalog = Catalog(hearth.paths.data, hearth.paths.config)
    downloads = Downloads(catalog.folder)
    # Downloads run in daemon threads: stopping Hearth leaves each one's .part, listed as
    # paused at the next start.

    @app.get("/api/models")
    def list_models():
        settings = hearth.settings.get() if hearth.settings is not None else {}
        return reply(
            {
                "models": catalog.list(),
                "folder": str(catalog.folder),
                "memory": memory_now(),
                "local_model": settings.get("local_model"),
                "suggestions": [dict(s) for s in SUGGESTIONS],
            }
        )

    @app.get("/api/models/runtime")
    def runtime_status():
        """Whether the built-in model's runtime is starting, ready or stopped (the chat says
        "Starting the built-in model…" while a turn waits for it). Never starts it."""
        from core.agent.local.runtime import runtime

        return reply(runtime().status())

    @app.post("/api/models")
    def add_model():
        body = json_body()
        return reply(catalog.add(body.get("path")), 201)

    @app.delete("/api/models/<file>")
    def remove_model(file: str):
        removed = catalog.remove(file)
        if hearth.settings is not None:
            values = hearth.settings.get()
            changes = {}
            if values.get("local_model") == removed["file"]:
                changes["local_model"] = None
            if values.get("last_model") == removed["id"]:
                changes["last_model"] = None
            if changes:
                hearth.settings.update(**changes)
        return no_content()

    @app.post("/api/models/<file>/use")
    def use_model(file: str):
        """New chats use this model: the built-in runtime runs it, and it is the last chosen."""
        model = catalog.find(file)
        if model["problem"]:
            raise InvalidInput(model["problem"])
        if hearth.settings is not None:
            hearth.settings.update(local_model=model["file"], last_model=model["id"])
        return reply(model)

    @app.get("/api/models/downloads")
    def list_downloads():
        return reply({"downloads": downloads.list()})

    @app.post("/api/models/downloads")
    def start_download():
        body = json_body()
        unknown = sorted(set(body) - {"repo", "file", "url"})
        if unknown:
            raise InvalidInput(f"Unknown field: {', '.join(unknown)}. Give repo and file, or url.")
        return reply(downloads.start(body.get("repo"), body.get("file"), body.get("url")), 202)

    @app.get("/api/models/downloads/<download_id>")
    def get_download(download_id: str):
        return reply(downloads.get(download_id))

    @app.post("/api/models/downloads/<download_id>/cancel")
    def cancel_download(download_id: str):
        return reply(downloads.cancel(download_id))

    @app.post("/api/models/downloads/<download_id>/resume")
    def resume_download(download_id: str):
        return reply(downloads.resume(download_id), 202)

    @app.delete("/api/models/downloads/<download_id>")
    def forget_download(download_id: str):
        downloads.forget(download_id)
        return no_content()
