"""Model providers: stream answers from OpenAI-compatible and Anthropic endpoints.

Importing this package loads neither SDK; ``make_provider`` (or the provider
classes, imported from their modules) loads the one it needs.
"""

from .base import (
    ERROR_KINDS,
    Event,
    Finish,
    Provider,
    ProviderConfig,
    ProviderError,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    Usage,
)
from .factory import make_provider

__all__ = [
    "ERROR_KINDS",
    "Event",
    "Finish",
    "Provider",
    "ProviderConfig",
    "ProviderError",
    "ReasoningDelta",
    "TextDelta",
    "ToolCall",
    "Usage",
    "make_provider",
]
