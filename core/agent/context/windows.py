"""Each model's context window, in tokens.

In order: the user's override (Settings ``context_windows``, by model name), what the provider
said about the model (OpenRouter's and LM Studio's model lists, llama.cpp's ``/props``,
Ollama's ``/api/show``, the built-in runtime's context size), then the table below of
well-known hosted models. Unknown: None (the meter then shows tokens without a limit, and
Hearth compacts only when the provider says the request was too long).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

# Longest matching prefix wins; names are matched without a "vendor/" prefix (OpenRouter's).
KNOWN_WINDOWS: dict[str, int] = {
    "gpt-5": 400_000,
    "gpt-4.1": 1_047_576,
    "gpt-4o": 128_000,
    "gpt-4-turbo": 128_000,
    "gpt-4": 8_192,
    "gpt-3.5-turbo": 16_385,
    "o1": 200_000,
    "o3": 200_000,
    "o4-mini": 200_000,
    "claude-": 200_000,
    "gemini-1.5-pro": 2_097_152,
    "gemini-1.5-flash": 1_048_576,
    "gemini-2": 1_048_576,
    "mistral-large": 131_072,
    "mistral-small": 32_768,
    "codestral": 256_000,
    "deepseek-chat": 65_536,
    "deepseek-reasoner": 65_536,
    "llama-3.1": 131_072,
    "llama-3.2": 131_072,
    "llama-3.3": 131_072,
    "llama3.1": 131_072,
    "llama3.2": 131_072,
    "llama3.3": 131_072,
    "qwen2.5": 32_768,
    "grok-": 131_072,
}

_reported: dict[tuple[str, str], int | None] = {}  # (base_url, model) -> what the server said
_lock = threading.Lock()


def known_window(model: str) -> int | None:
    """The table's window for ``model`` (longest prefix), or None."""
    name = model.rsplit("/", 1)[-1].lower()
    best = max((p for p in KNOWN_WINDOWS if name.startswith(p)), key=len, default=None)
    return KNOWN_WINDOWS[best] if best else None


def window_for(
    config: Any,
    model: str,
    overrides: Mapping[str, Any] | None = None,
    probe: bool = False,
    cancel: Any = None,
) -> int | None:
    """The window of ``model`` on the provider ``config``. ``probe`` lets it ask the server
    (once per server and model in this process; never while answering a page load); the run's
    ``cancel`` token ends that question at once."""
    override = (overrides or {}).get(model)
    if isinstance(override, int) and override > 0:
        return override
    kind = getattr(config, "kind", "")
    if kind == "local":
        import os

        from core.agent.local.runtime import CONTEXT_ENV, DEFAULT_CONTEXT

        try:
            return int(float(os.environ.get(CONTEXT_ENV, DEFAULT_CONTEXT)))
        except ValueError:
            return DEFAULT_CONTEXT
    key = (str(getattr(config, "base_url", "") or ""), model)
    with _lock:
        known = key in _reported
        reported = _reported.get(key)
    if not known and probe and kind == "openai" and _worth_asking(key[0]):
        reported = _probe(config, model, cancel)
        with _lock:
            _reported[key] = reported
    return reported or known_window(model)


def remember_window(base_url: str, model: str, tokens: int | None) -> None:
    """Keep a window a provider reported (a model list read elsewhere, a test)."""
    with _lock:
        _reported[(base_url, model)] = tokens


def _probe(config: Any, model: str, cancel: Any = None) -> int | None:
    """What an OpenAI-compatible server says of the model's context length; None if nothing."""
    from core.agent.providers.model_info import ask_about_model

    return ask_about_model(config, model, _context_length, timeout=2.0, cancel=cancel)


def _context_length(data: Any, model: str) -> int | None:
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("data"), list):  # OpenRouter's model list
        for entry in data["data"]:
            if isinstance(entry, dict) and entry.get("id") == model:
                _remember_openrouter_price(model, entry.get("pricing"))
                return _positive(entry.get("context_length"))
        return None
    settings = data.get("default_generation_settings")
    if isinstance(settings, dict):  # llama.cpp /props
        return _positive(settings.get("n_ctx"))
    if isinstance(data.get("model_info"), dict):  # Ollama /api/show
        for name, value in data["model_info"].items():
            if name.endswith(".context_length"):
                return _positive(value)
    return _positive(data.get("max_context_length"))  # LM Studio


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _remember_openrouter_price(model: str, pricing: Any) -> None:
    """OpenRouter lists prices in US dollars per token, as strings."""
    from core.agent.context.prices import remember_price

    try:
        per_token = (float(pricing["prompt"]), float(pricing["completion"]))
    except (TypeError, KeyError, ValueError):
        return
    remember_price(model, (per_token[0] * 1_000_000, per_token[1] * 1_000_000))


def _worth_asking(base_url: str) -> bool:
    """OpenRouter lists windows; other hosted APIs do not answer these questions, local model
    servers (this machine, the local network) do."""
    import ipaddress
    from urllib.parse import urlsplit

    host = (urlsplit(base_url).hostname or "").lower()
    if "openrouter.ai" in host or host == "localhost" or host.endswith(".local"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local
