"""The HTTP client both SDKs run on, wired so that a CallGuard can abort a call.

Keep-alive is off: each call opens its own connection, so the socket a guard
learns about belongs to that call alone and can be shut down without touching
another conversation's stream. The cost is one TCP (and TLS) handshake per
model call, small next to a model's answer time.
"""

from __future__ import annotations

from typing import Any

from .base import ProviderConfig
from .cancel import current_guard


def _attach_trace(request: Any) -> None:
    guard = current_guard()
    if guard is not None:
        request.extensions = {**request.extensions, "trace": guard.trace}


def make_http_client(config: ProviderConfig) -> Any:
    """An ``httpx2.Client`` (the transport of openai 3.x and anthropic 2.x)."""
    import httpx2

    return httpx2.Client(
        timeout=http_timeout(config),
        limits=httpx2.Limits(max_connections=100, max_keepalive_connections=0),
        event_hooks={"request": [_attach_trace]},
        follow_redirects=True,
    )


def http_timeout(config: ProviderConfig) -> Any:
    import httpx2

    return httpx2.Timeout(config.timeout, connect=min(config.connect_timeout, config.timeout))
