"""pytest fixtures for the fake model servers. Import the ones a test module uses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
