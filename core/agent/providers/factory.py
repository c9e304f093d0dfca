"""Build the provider a ProviderConfig describes."""

from __future__ import annotations

from .base import Provider, ProviderConfig


def make_provider(config: ProviderConfig) -> Provider:
    """An OpenAIProvider or AnthropicProvider; imports that SDK on first use."""
    if config.kind == "openai":
        from .openai_provider import OpenAIProvider

        return OpenAIProvider(config)
    if config.kind == "anthropic":
        from .anthropic_provider import AnthropicProvider

        return AnthropicProvider(config)
    raise ValueError(f"unknown provider kind: {config.kind!r} (expected 'openai' or 'anthropic')")
