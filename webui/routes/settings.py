"""Settings and model providers: read and change them (API keys are write-only)."""

from __future__ import annotations

import bottle

from core.agent.model_lists import BUSY_MESSAGE, ModelLists, ProvidersBusy
from core.errors import HearthError
from webui.http import fail, field, json_body, no_content, reply
from webui.workspace_notice import workspace_notice

PROVIDER_FIELDS = ("name", "kind", "base_url", "default_model", "api_key", "enabled")


def install(app: bottle.Bottle, hearth) -> None:
    def settings():
        if hearth.settings is None:
            raise fail(503, "unavailable", "Settings are not available in this build.")
        return hearth.settings

    @app.get("/api/settings")
    def get_settings():
        return reply(_with_problem(settings(), settings().get()))

    @app.route("/api/settings", method=["PATCH", "PUT"])
    def update_settings():
        body = json_body()
        body.pop("problem", None)  # read-only: why the settings file on disk was not used
        body.pop("workspace_notice", None)  # read-only too
        return reply(_with_problem(settings(), settings().update(**body)))

    @app.get("/api/providers")
    def list_providers():
        return reply({"providers": settings().providers()})

    @app.post("/api/providers")
    def add_provider():
        body = json_body()
        _known_fields(body)
        for name in ("name", "kind"):
            field(body, name, str, required=True)
        return reply(settings().add_provider(**body), 201)

    @app.route("/api/providers/<provider_id>", method="PATCH")
    def update_provider(provider_id: str):
        body = json_body()
        _known_fields(body)
        return reply(settings().update_provider(provider_id, **body))

    @app.delete("/api/providers/<provider_id>")
    def remove_provider(provider_id: str):
        settings().remove_provider(provider_id)
        return no_content()

    # Model lists come from ModelLists (kept per provider; no provider is called while a run
    # is live), so page loads and second tabs never reach a provider that is answering.
    lists = ModelLists(
        hearth.settings, busy=lambda: bool(hearth.runs.live_runs()), closing=hearth.closing
    )

    @app.get("/api/providers/<provider_id>/models")
    def list_models(provider_id: str):
        settings()
        refresh = bottle.request.query.get("refresh", "") in ("1", "true")
        return reply(lists.get(provider_id, refresh=refresh))

    @app.post("/api/providers/<provider_id>/test")
    def test_provider(provider_id: str):
        settings()
        try:
            models = lists.ask(provider_id)
        except HearthError:
            raise  # unknown provider (404), or a run is live (409)
        except Exception as exc:
            kind = getattr(exc, "kind", "error")
            message = getattr(exc, "message", None) or "The provider could not be reached."
            return reply({"ok": False, "error": {"code": kind, "message": message}})
        return reply({"ok": True, "models": models})

    @app.get("/api/local-servers")
    def local_servers():
        from core.settings import detect_local_servers

        if hearth.runs.live_runs():  # the probes would reach a local server that may be answering
            raise ProvidersBusy(BUSY_MESSAGE)
        return reply({"servers": detect_local_servers()})


def _known_fields(body: dict) -> None:
    from core.errors import InvalidInput

    unknown = sorted(set(body) - set(PROVIDER_FIELDS))
    if unknown:
        raise InvalidInput(f"Unknown provider field: {', '.join(unknown)}.")


def _with_problem(settings, values: dict) -> dict:
    """The settings, plus ``problem``: a sentence when the file on disk could not be used, and
    ``workspace_notice``: one when the default workspace holds Hearth's own folders."""
    notice = workspace_notice(settings, values.get("default_workspace"))
    return {**values, "problem": settings.problem, "workspace_notice": notice}
