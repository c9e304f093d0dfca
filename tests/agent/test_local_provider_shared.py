"""The built-in runtime is shared: closing one LocalProvider (the agent closes the duplicate a
concurrent run built for the same config) closes only its own clients and never stops the
model under another provider's stream. Real SmolLM2 in a real child process."""

from __future__ import annotations

import pytest

from core.agent.local.models import builtin_model_path
from core.agent.local.provider import LocalProvider
from core.agent.local.runtime import Runtime
from core.agent.providers.base import Finish, ProviderConfig, TextDelta


@pytest.fixture
def shared_runtime():
    runtime = Runtime(idle_seconds=120, start_timeout=240)
    yield runtime
    runtime.close()


def test_closing_a_duplicate_provider_does_not_stop_another_ones_stream(shared_runtime):
    config = ProviderConfig(kind="local", base_url=builtin_model_path().resolve().as_uri())
    answering = LocalProvider(config, shared_runtime)
    duplicate = LocalProvider(config, shared_runtime)

    events = answering.stream(
        [{"role": "user", "content": "Write a long story about a lighthouse keeper."}],
        options={"max_tokens": 60},
    )
    texts: list[str] = []
    finish = None
    for event in events:
        if isinstance(event, TextDelta):
            texts.append(event.text)
            if len(texts) == 2:
                pid = shared_runtime.pid
                duplicate.close()  # what Agent.provider() does with the losing duplicate
                assert shared_runtime.pid == pid
        elif isinstance(event, Finish):
            finish = event
    assert len(texts) > 5, texts
    assert finish is not None
    assert shared_runtime.pid is not None  # still serving; its idle timer stops it
    answering.close()
    assert shared_runtime.pid is not None
