"""Routes, one module per resource; each has ``install(app, hearth)``."""

from webui.routes import approvals, desktop, health, runs, sessions, settings, static

# static last: its catch-all must not shadow the API.
ROUTE_MODULES = (health, sessions, runs, approvals, settings, desktop, static)
