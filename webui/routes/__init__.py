"""Routes, one module per resource; each has ``install(app, hearth)``."""

from webui.routes import (
    approvals,
    desktop,
    health,
    models,
    runs,
    sessions,
    settings,
    static,
    versions,
)

# static last: its catch-all must not shadow the API.
ROUTE_MODULES = (health, sessions, versions, runs, approvals, settings, models, desktop, static)
