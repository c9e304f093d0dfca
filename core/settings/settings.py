"""The user's settings: global choices and model providers, in ``config/settings.json``.

The file is written whole (temp file + rename, mode 0600) on every change. API keys are
not in it: they live in :mod:`core.settings.secrets`, and a provider record only says
whether it has one (``has_key``).

A settings file that cannot be read (bad JSON, not an object, no permission) is left
untouched: Hearth runs on the defaults, says why in ``Settings.problem`` and the log, and
only when the user saves new settings moves the old file aside as
``settings.json.unreadable-<time>`` (kept, never deleted) before writing the new one. A file
that reads but holds a few bad values keeps the good ones; the bad ones fall back to their
defaults, are named in ``problem``, and are dropped at the next save.

``HEARTH_BASE_URL`` / ``HEARTH_API_KEY`` / ``HEARTH_MODEL`` describe one more provider, id
"env", listed with the others but never written anywhere; its key is never returned.

The built-in model (id "builtin", kind "local") is listed last when its runtime is installed
(and ``HEARTH_NO_BUILTIN_MODEL`` is not set),
and is the default only when nothing else is: the user's choice, the environment's provider
or an enabled provider of the user's come first. Its models are GGUF files by name: the
built-in one, or the settings' ``local_model``; resolving a turn finds the file.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.agent.providers.base import ProviderConfig
from core.errors import HearthError, InvalidInput, NotFound
from core.folders import expand, is_folder, kind_of
from core.paths import Paths, PathsError, make_private_dir
from core.urls import http_url

from .files import read_json, write_private_json
from .secrets import Secrets

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
ENV_PROVIDER_ID = "env"
BUILTIN_PROVIDER_ID = "builtin"
NO_BUILTIN_ENV = "HEARTH_NO_BUILTIN_MODEL"  # set: the built-in model is not offered
KINDS = ("openai", "anthropic")
APPROVAL_POLICIES = ("ask", "allow_all")
THEMES = ("system", "light", "dark")
MAX_PROMPT = 100_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_GGUF_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,199}\.gguf")

PRESETS: tuple[dict[str, Any], ...] = (
    {
        "name": "OpenAI",
        "kind": "openai",
        "base_url": "https://api.openai.com/v1",
        "needs_key": True,
    },
    {
        "name": "Anthropic",
        "kind": "anthropic",
        "base_url": "https://api.anthropic.com",
        "needs_key": True,
    },
    {
        "name": "OpenRouter",
        "kind": "openai",
        "base_url": "https://openrouter.ai/api/v1",
        "needs_key": True,
    },
    {
        "name": "Ollama",
        "kind": "openai",
        "base_url": "http://127.0.0.1:11434/v1",
        "needs_key": False,
    },
    {
        "name": "LM Studio",
        "kind": "openai",
        "base_url": "http://127.0.0.1:1234/v1",
        "needs_key": False,
    },
)


class NoProvider(HearthError):
    """No model provider can serve the turn."""

    code = "no_provider"


class NoModel(HearthError):
    """A provider is there, but nobody said which model to use."""

    code = "no_model"


class WorkspaceUnavailable(HearthError):
    """The workspace folder is missing or cannot be created."""

    code = "workspace_unavailable"


def presets() -> list[dict[str, Any]]:
    """Well-known providers the UI can offer to add in one click."""
    return [dict(p) for p in PRESETS]


class Settings:
    """Global settings and providers; thread-safe. One per app (tests make their own)."""

    def __init__(
        self,
        paths: Paths,
        env: Mapping[str, str] | None = None,
        *,
        secrets: Secrets | None = None,
    ) -> None:
        env = dict(os.environ if env is None else env)
        self.paths = paths
        self.file = paths.config / "settings.json"
        self.secrets = secrets if secrets is not None else Secrets(paths, env)
        self.problem: str | None = None  # why the file on disk was not (fully) used
        self._lock = threading.RLock()
        self._unreadable = False
        self._values: dict[str, Any] = _global_defaults()
        self._providers: list[dict[str, Any]] = []
        self._env = _env_provider(env)
        self._builtin = None if env.get(NO_BUILTIN_ENV) else _builtin_provider()
        self._load()

    # --- global settings -------------------------------------------------------

    def get(self) -> dict[str, Any]:
        """Every global setting; ``default_workspace`` is the folder actually used."""
        with self._lock:
            values = dict(self._values)
        values["default_workspace"] = str(self._default_workspace(values["default_workspace"]))
        return values

    def update(self, **changes: Any) -> dict[str, Any]:
        """Change some settings (all checked before any is applied); returns them all."""
        with self._lock:
            checked = {key: self._check_setting(key, value) for key, value in changes.items()}
            if checked:
                self._values.update(checked)
                self._save()
        return self.get()

    def approval_policy(self) -> str:
        """ "ask" or "allow_all"; made to be ApprovalBroker's ``policy``."""
        with self._lock:
            return self._values["approvals"]

    def workspace_for(self, session: Mapping[str, Any], create: bool = True) -> Path:
        """The session's workspace folder, else the default one (created if missing)."""
        chosen = session.get("workspace")
        if chosen:
            folder = expand(chosen)
            if not folder.is_absolute():  # never relative to wherever the server started
                raise WorkspaceUnavailable(
                    f"The workspace {chosen!r} of this session is not a full path to a folder. "
                    "Choose a folder for the session."
                )
            if not is_folder(folder):
                raise WorkspaceUnavailable(
                    f"The workspace folder {folder} of this session does not exist. "
                    "Choose another folder for the session, or create this one."
                )
            return folder
        with self._lock:
            folder = self._default_workspace(self._values["default_workspace"])
        if create and not folder.is_dir():
            try:
                make_private_dir(folder)
            except PathsError as exc:
                raise WorkspaceUnavailable(
                    f"{exc} Choose another default workspace in Settings."
                ) from exc
        return folder

    # --- providers -------------------------------------------------------------

    def providers(self) -> list[dict[str, Any]]:
        """Every provider, the environment's first; never a key, only ``has_key``."""
        with self._lock:
            default = self._default_provider_id()
            return [_public(record, default) for record in self._all_records()]

    def add_provider(
        self,
        name: str,
        kind: str,
        base_url: str | None = None,
        default_model: str | None = None,
        api_key: str | None = None,
        enabled: bool = True,
    ) -> dict[str, Any]:
        record = {
            "name": _check_name(name),
            "kind": _check_kind(kind),
            "base_url": _check_url(base_url),
            "default_model": _check_model(default_model),
            "enabled": _check_flag(enabled, "enabled"),
        }
        key = _check_key(api_key)
        with self._lock:
            record = {"id": self._new_id(record["name"]), **record, "has_key": bool(key)}
            if key:
                self.secrets.set(record["id"], key)
            self._providers.append(record)
            self._save()
            return _public(record, self._default_provider_id())

    def update_provider(self, provider_id: str, **changes: Any) -> dict[str, Any]:
        """Change a provider; ``api_key`` is write-only ("" removes it, None leaves it).

        Changing where the provider lives (``base_url``, or ``kind`` while the URL is the
        kind's default) forgets the stored key unless the same change carries ``api_key``.
        """
        checks: dict[str, Callable[[Any], Any]] = {
            "name": _check_name,
            "kind": _check_kind,
            "base_url": _check_url,
            "default_model": _check_model,
            "enabled": lambda v: _check_flag(v, "enabled"),
        }
        unknown = sorted(set(changes) - set(checks) - {"api_key"})
        if unknown:
            raise InvalidInput(
                f"Unknown provider field: {', '.join(unknown)}. "
                f"The fields are: {', '.join([*checks, 'api_key'])}."
            )
        checked = {key: checks[key](value) for key, value in changes.items() if key in checks}
        key_change = changes.get("api_key")
        key = _check_key(key_change) if key_change is not None else None
        with self._lock:
            record = self._stored(provider_id)
            if key_change is None and _moves_endpoint(record, checked):
                # A key is only ever sent where the user entered it: a new address (or a
                # kind with another default address) needs the key typed again.
                key_change = ""
            if key_change is not None:
                if key:
                    self.secrets.set(provider_id, key)
                else:
                    self.secrets.delete(provider_id)
                checked["has_key"] = bool(key)
            record.update(checked)
            self._save()
            return _public(record, self._default_provider_id())

    def remove_provider(self, provider_id: str) -> None:
        with self._lock:
            record = self._stored(provider_id)
            self.secrets.delete(provider_id)
            self._providers.remove(record)
            if self._values["default_provider"] == provider_id:
                self._values["default_provider"] = None
            self._save()

    def provider_config(self, provider_id: str) -> ProviderConfig:
        """How to reach the provider, its key included: for building it, never for showing."""
        with self._lock:
            record = self._record(provider_id)
            key = record.get("api_key") if record is self._env else None
            if record is not self._env and record["has_key"]:
                key = self.secrets.get(provider_id)
            return ProviderConfig(
                kind=record["kind"],
                base_url=record["base_url"],
                api_key=key,
                name=record["name"],
                default_model=self._builtin_model()
                if record is self._builtin
                else (record["default_model"] or ""),
            )

    def resolve(
        self, session: Mapping[str, Any], model_override: str | None = None
    ) -> tuple[ProviderConfig, str]:
        """The provider and model for a turn of ``session``.

        The model is ``model_override``, else the session's, else the provider's default;
        "provider_id/model" names the provider, a bare model (or one whose prefix is no
        provider id, like OpenRouter's "vendor/model") goes to the default provider: the
        one chosen in Settings, else the environment's, else the first one enabled.
        """
        spec = (model_override or session.get("model") or "").strip()
        with self._lock:
            provider_id, model = self._split(spec)
            if provider_id is None:
                provider_id = self._default_provider_id()
            if provider_id is None:
                raise NoProvider(
                    "No model provider is set up. Add one in Settings (an API key for "
                    "OpenAI, Anthropic or OpenRouter, or a local server such as Ollama), "
                    "or start Hearth with HEARTH_BASE_URL set."
                )
            record = self._record(provider_id)
            if not record["enabled"]:
                raise NoProvider(
                    f"The provider {record['name']} is turned off. Turn it on in Settings, "
                    "or pick a model from another provider."
                )
            if record is self._builtin:
                model = model or self._builtin_model()
                return self._local_config(model), model
            model = model or record["default_model"] or ""
            if not model:
                raise NoModel(
                    f"No model is chosen for {record['name']}. Pick a model for this session, "
                    "or set the provider's default model in Settings."
                )
            return self.provider_config(provider_id), model

    # --- internals -------------------------------------------------------------

    def _all_records(self) -> list[dict[str, Any]]:
        env = [self._env] if self._env else []
        return env + self._providers + ([self._builtin] if self._builtin else [])

    def _builtin_model(self) -> str:
        from core.agent.local.models import BUILTIN_FILE

        chosen = self._values.get("local_model")
        return chosen if isinstance(chosen, str) and chosen else BUILTIN_FILE

    def _local_config(self, model: str) -> ProviderConfig:
        """The built-in provider running the GGUF file called ``model``."""
        from core.agent.local.catalog import Catalog
        from core.agent.local.models import BUILTIN_FILE, NoBuiltinModel, builtin_model_path

        path: Path | None = None
        if model == BUILTIN_FILE:
            try:
                path = builtin_model_path()
            except NoBuiltinModel as exc:
                raise NoProvider(str(exc)) from None
        else:
            path = Catalog(self.paths.data, self.paths.config).path_of(model)
        if path is None:
            raise NoModel(
                f"No local model is called {model!r}. Pick one on the Models page, or a "
                "model from another provider."
            )
        return ProviderConfig(
            kind="local",
            base_url=path.resolve().as_uri(),
            name=self._builtin["name"],
            default_model=model,
        )

    def _split(self, spec: str) -> tuple[str | None, str]:
        if "/" in spec:
            prefix, rest = spec.split("/", 1)
            if self._find(prefix) is not None:
                return prefix, rest.strip()
        return None, spec

    def _default_provider_id(self) -> str | None:
        chosen = self._values["default_provider"]
        if chosen and self._find(chosen) is not None:
            return chosen
        if self._env:
            return ENV_PROVIDER_ID
        for record in self._providers:
            if record["enabled"]:
                return record["id"]
        return BUILTIN_PROVIDER_ID if self._builtin else None

    def _find(self, provider_id: str) -> dict[str, Any] | None:
        if self._env and provider_id == ENV_PROVIDER_ID:
            return self._env
        if self._builtin and provider_id == BUILTIN_PROVIDER_ID:
            return self._builtin
        return next((p for p in self._providers if p["id"] == provider_id), None)

    def _record(self, provider_id: str) -> dict[str, Any]:
        record = self._find(provider_id) if isinstance(provider_id, str) else None
        if record is None:
            raise NotFound(f"No provider has the id {provider_id!r}.")
        return record

    def _stored(self, provider_id: str) -> dict[str, Any]:
        """A provider the user may change (the environment's may not)."""
        record = self._record(provider_id)
        if record is self._builtin:
            raise InvalidInput(
                "The built-in model comes with Hearth and cannot be changed here; choose its "
                "model on the Models page."
            )
        if record is self._env:
            raise InvalidInput(
                "This provider comes from the HEARTH_BASE_URL, HEARTH_API_KEY and HEARTH_MODEL "
                "environment variables; change them and restart Hearth instead."
            )
        return record

    def _new_id(self, name: str) -> str:
        base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:32].strip("-") or "provider"
        taken = {p["id"] for p in self._providers} | {ENV_PROVIDER_ID, BUILTIN_PROVIDER_ID}
        candidate, number = base, 2
        while candidate in taken:
            candidate, number = f"{base}-{number}", number + 1
        return candidate

    def _default_workspace(self, chosen: str | None) -> Path:
        return expand(chosen) if chosen else self.paths.data / "workspace"

    def _check_setting(self, key: str, value: Any) -> Any:
        if key == "system_prompt":
            if value is None:
                return None
            if not isinstance(value, str):
                raise InvalidInput("The system prompt must be text (or null for the default).")
            if len(value) > MAX_PROMPT:
                raise InvalidInput(f"The system prompt is too long (at most {MAX_PROMPT:,}).")
            return value if value.strip() else None
        if key == "default_workspace":
            if value is None or value == "":
                return None
            if not isinstance(value, str) or "\x00" in value:
                raise InvalidInput("The default workspace must be a folder path.")
            folder = expand(value)
            if not folder.is_absolute():
                raise InvalidInput("The default workspace must be a full path to a folder.")
            if kind_of(folder) == "file":
                raise InvalidInput(f"{folder} is a file, not a folder.")
            return str(folder)
        if key == "approvals":
            return _one_of(value, APPROVAL_POLICIES, "approvals")
        if key == "theme":
            return _one_of(value, THEMES, "theme")
        if key == "default_provider":
            if value is None:
                return None
            if not isinstance(value, str) or self._find(value) is None:
                raise InvalidInput(f"No provider has the id {value!r}.")
            return value
        if key == "allow_private_network":
            return _check_flag(value, "allow_private_network")
        if key == "last_model":  # "provider_id/model", the one a new chat starts with
            return _check_model(value)
        # What a new chat starts with besides its model: the last choices made in a chat
        # (its workspace folder, its own system prompt, tools on or off).
        if key == "last_workspace":
            if value is None or value == "":
                return None
            if not isinstance(value, str) or "\x00" in value or len(value) > 4096:
                raise InvalidInput("last_workspace must be a folder path (or null).")
            return value
        if key == "last_system_prompt":
            return self._check_setting("system_prompt", value)
        if key == "last_tools_enabled":
            return None if value is None else _check_flag(value, "last_tools_enabled")
        if key == "local_model":  # a GGUF file name the built-in runtime runs by default
            if value is not None and not _GGUF_NAME.fullmatch(str(value)):
                raise InvalidInput("local_model must be a .gguf file name from the models page.")
            return value
        if key == "context_threshold":  # compact when a request would pass this share
            return _check_share(value)
        if key == "context_windows":  # {model name: its window in tokens}, the user's word
            return _check_windows(value)
        if key == "model_images":  # {model name: whether it takes images}, the user's word
            return _check_image_flags(value)
        if key == "prices":  # {model name: {"input", "output"}} in US dollars per million tokens
            return _check_prices(value)
        raise InvalidInput(
            f"Unknown setting: {key}. The settings are: {', '.join(_global_defaults())}."
        )

    def _load(self) -> None:
        try:
            raw = read_json(self.file)
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            self._mark_unreadable(f"{type(exc).__name__}: {exc}")
            return
        if not isinstance(raw, dict):
            self._mark_unreadable("it does not hold a JSON object")
            return
        dropped: list[str] = []
        stored = raw.get("settings")
        for key, value in (stored if isinstance(stored, dict) else {}).items():
            try:
                if key != "default_provider":  # checked once the providers are known
                    self._values[key] = self._check_setting(key, value)
            except InvalidInput:
                dropped.append(key)
        records = raw.get("providers")
        for index, item in enumerate(records if isinstance(records, list) else []):
            try:
                self._providers.append(_loaded_provider(item, self._providers))
            except (InvalidInput, TypeError, KeyError):
                dropped.append(f"providers[{index}]")
        default = (stored or {}).get("default_provider") if isinstance(stored, dict) else None
        if default is not None:
            try:
                self._values["default_provider"] = self._check_setting("default_provider", default)
            except InvalidInput:
                dropped.append("default_provider")
        if dropped:
            self.problem = (
                f"Some entries of {self.file} were not valid and are not used: "
                f"{', '.join(dropped)}. Saving the settings drops them."
            )
            log.warning("%s", self.problem)

    def _mark_unreadable(self, reason: str) -> None:
        self._unreadable = True
        self.problem = (
            f"The settings file {self.file} could not be read ({reason}). Hearth uses the "
            "default settings; the file is left as it is until you save new settings, and "
            "then kept beside them as settings.json.unreadable-<time>."
        )
        log.warning("%s", self.problem)

    def _save(self) -> None:
        if self._unreadable and self.file.exists():
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            os.replace(self.file, self.file.with_name(f"settings.json.unreadable-{stamp}"))
        write_private_json(
            self.file,
            {
                "version": FORMAT_VERSION,
                "settings": dict(self._values),
                "providers": [dict(p) for p in self._providers],
            },
        )
        self._unreadable = False
        self.problem = None


def _global_defaults() -> dict[str, Any]:
    return {
        "system_prompt": None,
        "default_workspace": None,
        "approvals": "ask",
        "theme": "system",
        "default_provider": None,
        "allow_private_network": False,
        "last_model": None,
        "last_workspace": None,
        "last_system_prompt": None,
        "last_tools_enabled": None,
        "local_model": None,
        "context_threshold": 0.8,
        "context_windows": {},
        "model_images": {},
        "prices": {},
    }


def _check_prices(value: Any) -> dict[str, dict[str, float]]:
    if value is None:
        return {}
    problem = "prices must map model names to {input, output} in US dollars per million tokens."
    if not isinstance(value, dict) or len(value) > 500:
        raise InvalidInput(problem)
    out = {}
    for model, price in value.items():
        if not isinstance(model, str) or not model.strip() or not isinstance(price, dict):
            raise InvalidInput(problem)
        checked = {}
        for side in ("input", "output"):
            amount = price.get(side, 0)
            if isinstance(amount, bool) or not isinstance(amount, (int, float)):
                raise InvalidInput(problem)
            if not 0 <= amount <= 10_000:
                raise InvalidInput(problem)
            checked[side] = float(amount)
        out[model.strip()] = checked
    return out


def _check_share(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.3 <= value <= 0.98:
        raise InvalidInput("context_threshold must be a share of the window from 0.3 to 0.98.")
    return float(value)


def _check_image_flags(value: Any) -> dict[str, bool]:
    if value is None:
        return {}
    wrong = InvalidInput("model_images must map model names to true or false.")
    if not isinstance(value, dict) or len(value) > 500:
        raise wrong
    out = {}
    for model, takes in value.items():
        if not isinstance(model, str) or not model.strip() or len(model) > 300:
            raise wrong
        if not isinstance(takes, bool):
            raise wrong
        out[model.strip()] = takes
    return out


def _check_windows(value: Any) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > 500:
        raise InvalidInput("context_windows must map model names to token counts.")
    out = {}
    for model, tokens in value.items():
        if not isinstance(model, str) or not model.strip() or len(model) > 300:
            raise InvalidInput("context_windows must map model names to token counts.")
        if isinstance(tokens, bool) or not isinstance(tokens, int) or not 256 <= tokens <= 10**8:
            raise InvalidInput(f"The window of {model!r} must be a whole number of tokens.")
        out[model.strip()] = tokens
    return out


def _public(record: Mapping[str, Any], default_id: str | None) -> dict[str, Any]:
    return {
        "id": record["id"],
        "name": record["name"],
        "kind": record["kind"],
        "base_url": record["base_url"],
        "default_model": record["default_model"],
        "enabled": record["enabled"],
        "has_key": bool(record["has_key"]),
        "source": _SOURCES.get(record["id"], "settings"),
        "is_default": record["id"] == default_id,
    }


def _loaded_provider(item: Any, loaded: list[dict[str, Any]]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise InvalidInput("not an object")
    provider_id = item["id"]
    if (
        not isinstance(provider_id, str)
        or not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", provider_id)
        or provider_id in (ENV_PROVIDER_ID, BUILTIN_PROVIDER_ID)
        or any(p["id"] == provider_id for p in loaded)
    ):
        raise InvalidInput("bad id")
    return {
        "id": provider_id,
        "name": _check_name(item["name"]),
        "kind": _check_kind(item["kind"]),
        "base_url": _check_url(item.get("base_url")),
        "default_model": _check_model(item.get("default_model")),
        "enabled": _check_flag(item.get("enabled", True), "enabled"),
        "has_key": _check_flag(item.get("has_key", False), "has_key"),
    }


_SOURCES = {ENV_PROVIDER_ID: "environment", BUILTIN_PROVIDER_ID: "builtin"}


def _builtin_provider() -> dict[str, Any] | None:
    """The built-in model's provider record, when its runtime is installed (not imported)."""
    import importlib.util

    try:
        installed = importlib.util.find_spec("xllamacpp") is not None
    except (ImportError, ValueError):
        installed = False
    if not installed:
        return None
    return {
        "id": BUILTIN_PROVIDER_ID,
        "name": "Built-in model (offline)",
        "kind": "local",
        "base_url": None,
        "default_model": None,
        "enabled": True,
        "has_key": False,
    }


def _env_provider(env: Mapping[str, str]) -> dict[str, Any] | None:
    base_url = env.get("HEARTH_BASE_URL", "").strip() or None
    key = env.get("HEARTH_API_KEY", "").strip() or None
    model = env.get("HEARTH_MODEL", "").strip() or None
    if not base_url and not key:
        return None
    try:
        base_url = _check_url(base_url)
    except InvalidInput:
        log.warning("HEARTH_BASE_URL is not an http(s) URL; the environment's provider is ignored")
        return None
    host = urlsplit(base_url).netloc if base_url else "OpenAI"
    return {
        "id": ENV_PROVIDER_ID,
        "name": f"Environment ({host})",
        "kind": "openai",
        "base_url": base_url,
        "default_model": model,
        "enabled": True,
        "has_key": bool(key),
        "api_key": key,  # in memory only; _public() leaves it out
    }


def _moves_endpoint(record: Mapping[str, Any], checked: Mapping[str, Any]) -> bool:
    """Whether applying ``checked`` would send requests to another address."""
    before = (record["kind"], record["base_url"])
    after = (checked.get("kind", record["kind"]), checked.get("base_url", record["base_url"]))
    if after[1] is not None and after[1] == before[1]:
        return False
    return after != before


def _one_of(value: Any, choices: tuple[str, ...], what: str) -> str:
    if value not in choices:
        raise InvalidInput(f"The {what} setting must be one of {', '.join(choices)}.")
    return value


def _check_flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{what} must be true or false.")
    return value


def _check_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("A provider needs a name.")
    name = " ".join(_CONTROL.sub(" ", value).split())
    if len(name) > 100:
        raise InvalidInput("A provider's name must be at most 100 characters.")
    return name


def _check_kind(value: Any) -> str:
    if value not in KINDS:
        raise InvalidInput(
            "A provider's kind must be 'openai' (any OpenAI-compatible server) or 'anthropic'."
        )
    return value


def _check_url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    http_url(value, "A base URL", "http://127.0.0.1:11434/v1")
    return value.strip().rstrip("/")


def _check_model(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 300 or _CONTROL.search(value):
        raise InvalidInput("A model name must be one line of text (at most 300 characters).")
    return value.strip() or None


def _check_key(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 4096:
        raise InvalidInput("An API key must be text.")
    key = value.strip()
    if _CONTROL.search(key) or " " in key:
        raise InvalidInput("The API key holds spaces or line breaks; paste the key alone.")
    return key or None
