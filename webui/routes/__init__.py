"""Routes, one module per resource; each has ``install(app, hearth)``."""

from webui.routes import (
    approvals,
    attachments,
    context,
    desktop,
    grants,
    health,
    mcp,
    models,
    runs,
    sessions,
    settings,
    static,
    versions,
)

# static last: its catch-all must not shadow the API.
ROUTE_MODULES = (
    health,
    sessions,
    versions,
    runs,
    attachments,
    context,
    approvals,
    grants,
    mcp,
    settings,
    models,
    desktop,
    static,
)
