"""Asking an OpenAI-compatible server about one of its models where it says more than the
OpenAI API does: OpenRouter's model list, llama.cpp's ``/props``, Ollama's ``/api/show``, LM
Studio's ``/api/v0/models/{model}``. The context window (core/agent/context/windows.py) and
whether a model takes images (core/agent/attachments/vision.py) are both read this way.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from .cancel import CallGuard
from .http import make_http_client

log = logging.getLogger(__name__)
T = TypeVar("T")


def ask_about_model(
    config: Any,
    model: str,
    read: Callable[[Any, str], T | None],
    *,
    timeout: float,
    cancel: Any = None,
) -> T | None:
    """The first answer ``read(json, model)`` finds in what the server's known info endpoints
    say; None when none says. Each endpoint gets ``timeout`` seconds; the run's ``cancel``
    token shuts the call's socket. Failures are quiet: what is asked is a nicety."""
    base = str(config.base_url or "").rstrip("/")
    root = base[: -len("/v1")] if base.endswith("/v1") else base
    headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
    if "openrouter.ai" in base:
        tries: list[tuple[str, str, Any]] = [("GET", f"{base}/models", None)]
    else:
        tries = [
            ("GET", f"{root}/props", None),  # llama.cpp
            ("POST", f"{root}/api/show", {"model": model}),  # Ollama
            ("GET", f"{root}/api/v0/models/{model}", None),  # LM Studio
        ]
    try:
        quick = dataclasses.replace(config, timeout=timeout, connect_timeout=timeout)
        with make_http_client(quick) as client, CallGuard(cancel) as guard, guard.opening():
            for method, url, body in tries:
                if guard.cancelled:
                    return None
                try:
                    answer = client.request(method, url, json=body, headers=headers)
                    if answer.status_code != 200:
                        continue
                    found = read(answer.json(), model)
                except Exception:  # a refusal, a timeout, a cancel, a body that is not JSON
                    continue
                if found is not None:
                    return found
    except Exception:
        log.debug("could not ask %s about %s", base, model, exc_info=True)
    return None
