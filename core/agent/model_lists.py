"""Each provider's model list, asked once and kept, so that no page load calls a provider.

A provider answering a run must be left alone: llama-cpp-python, for one, cuts a running
stream short when another request reaches it. So while any run is live in this process,
Hearth sends no listing request to any provider, not only to the run's (two provider entries,
or the environment's and a saved one, can point at the same server): it answers from the list
it kept, marked ``stale`` when a refresh was asked for, or, with nothing kept, refuses with
``ProvidersBusy`` (409). Without a live run, a list is asked for when none is kept for the
provider's current settings (kind, URL, key), and again on ``refresh``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.cancel import CancelToken
from core.clock import now
from core.errors import Conflict

BUSY_MESSAGE = (
    "A run is answering right now: Hearth asks providers for their models only when no run is"
    " live, so as not to interrupt it. Try again when the answer has finished."
)


class ProvidersBusy(Conflict):
    """A provider would have to be called while a run is live."""

    code = "provider_busy"


@dataclass(frozen=True)
class _Kept:
    settings_key: str
    models: list[str]
    fetched_at: str
    fetched: float  # time.monotonic() when the answer came


class ModelLists:
    """The model lists of one app's providers, by provider id."""

    def __init__(
        self,
        settings: Any,
        busy: Callable[[], bool],
        make_provider: Callable[[Any], Any] | None = None,
        closing: CancelToken | None = None,
    ) -> None:
        self._settings = settings
        self._busy = busy
        self._make_provider = make_provider
        self._closing = closing  # the server's: cancelled at shutdown, ends a call under way
        self._kept: dict[str, _Kept] = {}
        self._lock = threading.Lock()
        self._asking: dict[str, threading.Lock] = {}  # one listing call per provider at a time

    def get(self, provider_id: str, refresh: bool = False) -> dict[str, Any]:
        """``{"models", "fetched_at", "stale"}``: the kept list, or a fresh one when none is
        kept (or ``refresh``) and no run is live. ProvidersBusy when nothing can be answered."""
        asked_at = time.monotonic()
        config = self._settings.provider_config(provider_id)  # NotFound for an unknown id
        key = _settings_key(config)
        kept = self._kept_for(provider_id, key)
        if kept is not None and not refresh:
            return _answer(kept, stale=False)
        with self._asking_lock(provider_id):
            kept = self._kept_for(provider_id, key)
            if kept is not None and (not refresh or kept.fetched >= asked_at):
                return _answer(kept, stale=False)  # a call that was under way answered
            if self._busy():
                if kept is None:
                    raise ProvidersBusy(BUSY_MESSAGE)
                return _answer(kept, stale=True)
            return _answer(self._ask(provider_id, config, key), stale=False)

    def ask(self, provider_id: str) -> list[str]:
        """Ask the provider now (a connection test), unless a run is live; keep the answer."""
        config = self._settings.provider_config(provider_id)
        with self._asking_lock(provider_id):
            if self._busy():
                raise ProvidersBusy(BUSY_MESSAGE)
            return self._ask(provider_id, config, _settings_key(config)).models

    def _ask(self, provider_id: str, config: Any, key: str) -> _Kept:
        make = self._make_provider
        if make is None:
            from core.agent.providers import make_provider as make
        provider = make(config)
        try:
            models = [str(m) for m in provider.list_models(cancel=self._closing)]
        finally:
            provider.close()
        kept = _Kept(key, models, now(), time.monotonic())
        with self._lock:
            self._kept[provider_id] = kept
        return kept

    def _kept_for(self, provider_id: str, key: str) -> _Kept | None:
        with self._lock:
            kept = self._kept.get(provider_id)
        return kept if kept is not None and kept.settings_key == key else None

    def _asking_lock(self, provider_id: str) -> threading.Lock:
        with self._lock:
            return self._asking.setdefault(provider_id, threading.Lock())


def _settings_key(config: Any) -> str:
    """What a list depends on: the provider's kind, URL and key (hashed: kept in memory only,
    but no copy of a key is needed for comparing)."""
    parts = (config.kind, config.base_url or "", config.api_key or "")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _answer(kept: _Kept, stale: bool) -> dict[str, Any]:
    return {"models": list(kept.models), "fetched_at": kept.fetched_at, "stale": stale}
