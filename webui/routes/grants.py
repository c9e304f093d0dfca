"""Grants: the "allow always" answers the approval ledger keeps, listed and revoked."""

from __future__ import annotations

import bottle

from webui.http import no_content, reply


def install(app: bottle.Bottle, hearth) -> None:
    @app.get("/api/grants")
    def list_grants():
        return reply({"grants": hearth.store.grants()})

    @app.delete("/api/grants/<grant_id>")
    def revoke_grant(grant_id: str):
        hearth.store.delete_grant(grant_id)
        return no_content()
