"""GET /api/health: the one route that needs no token."""

from __future__ import annotations

import bottle

from core.version import __version__
from webui.http import reply


def install(app: bottle.Bottle, hearth) -> None:
    @app.get("/api/health")
    def health():
        return reply({"status": "ok", "version": __version__})
