"""pytest fixtures for the fake model servers. Import the ones a test module uses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core.agent.providers import Provider, ProviderConfig, make_provider

from . import FakeAnthropicServer, FakeModelServer, FakeOpenAIServer

WIRES = {"openai": FakeOpenAIServer, "anthropic": FakeAnthropicServer}


@pytest.fixture
def openai_fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


@pytest.fixture
def anthropic_fake() -> Iterator[FakeAnthropicServer]:
    with FakeAnthropicServer() as fake:
        yield fake


@pytest.fixture(params=sorted(WIRES))
def any_fake(request: pytest.FixtureRequest) -> Iterator[FakeModelServer]:
    """Each wire format in turn; ``any_fake.wire`` says which."""
    with WIRES[request.param]() as fake:
        yield fake


def provider_for(fake: FakeModelServer, **overrides: Any) -> Provider:
    """A real provider of the fake's wire format pointed at it, with quick retries."""
    settings = {
        "kind": fake.wire,
        "base_url": fake.base_url,
        "api_key": "sk-secret-123",
        "name": "Fake",
        "backoff": (0.01, 0.01, 0.01),
        **overrides,
    }
    return make_provider(ProviderConfig(**settings))
