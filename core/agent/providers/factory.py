"""Build the provider a ProviderConfig describes."""

from __future__ import annotations

from .base import Provider, ProviderConfig


def make_provider(config: ProviderConfig) -> Provider:
    """An OpenAIProvider, AnthropicProvider or the built-in LocalProvider; imports that SDK
    on first use (the local one starts its runtime only when it streams)."""
    if config.kind == "openai":
        from .openai_provider import OpenAIProvider

        return OpenAIProvider(config)
    if config.kind == "anthropic":
        from .anthropic_provider import AnthropicProvider

        return AnthropicProvider(config)
    if config.kind == "local":
        from core.agent.local.provider import LocalProvider

        return LocalProvider(config)
    raise ValueError(
        f"unknown provider kind: {config.kind!r} (expected 'openai', 'anthropic' or 'local')"
    )
