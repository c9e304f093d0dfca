"""What a provider's model can do, as the agent asks before offering tools."""

from __future__ import annotations

from core.agent.providers.base import ProviderConfig

from .models import can_call_tools


def offers_tools(config: ProviderConfig) -> bool:
    """Whether a turn with ``config`` is offered tools: a remote provider's model always is
    (the server says no when it cannot); a local GGUF only when it can call them."""
    if config.kind != "local":
        return True
    from .provider import model_file

    path = model_file(config)
    return path is not None and can_call_tools(path)
