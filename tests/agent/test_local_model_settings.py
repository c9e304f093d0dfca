"""The built-in model in settings and in the agent: used when nothing else is configured,
never before the user's or the environment's provider, offered no tools, given the short
prompt."""

from __future__ import annotations

import pytest

from core.agent.agent import Agent
from core.agent.approvals import ApprovalBroker
from core.agent.local.models import BUILTIN_FILE, builtin_model_path, describe_model
from core.agent.local.provider import model_file
from core.agent.prompt import CHAT_PROMPT
from core.agent.providers import make_provider
from core.agent.providers.base import ProviderConfig
from core.errors import InvalidInput
from core.settings import NoModel, Settings
from tests.agent.test_turn_agent import turn
from tests.fakes import fixtures

openai_fake = fixtures.openai_fake
ENV = {"HEARTH_SECRETS_BACKEND": "file"}


@pytest.fixture(autouse=True)
def _file_secrets(monkeypatch):
    monkeypatch.setenv("HEARTH_SECRETS_BACKEND", "file")


def test_the_builtin_model_is_installed_and_cannot_call_tools():
    path = builtin_model_path()
    model = describe_model(path)
    assert path.name == BUILTIN_FILE
    assert model.quantization == "Q4_1"
    assert model.context_length == 8192
    assert model.size > 90_000_000
    assert model.tools is False


def test_with_nothing_configured_a_turn_resolves_to_the_builtin_model(paths):
    settings = Settings(paths, env=ENV)

    listed = settings.providers()
    config, model = settings.resolve({})

    assert [p["id"] for p in listed] == ["builtin"]
    assert listed[0]["kind"] == "local" and listed[0]["source"] == "builtin"
    assert listed[0]["is_default"] is True
    assert config.kind == "local" and model == BUILTIN_FILE
    assert model_file(config) == builtin_model_path().resolve()
    assert settings.resolve({"model": f"builtin/{BUILTIN_FILE}"})[0] == config


def test_the_environment_and_the_users_providers_come_first(paths):
    env_first = Settings(paths, env={**ENV, "HEARTH_BASE_URL": "http://127.0.0.1:9/v1"})
    assert [p["id"] for p in env_first.providers()] == ["env", "builtin"]
    assert env_first.resolve({"model": "m"})[0].kind == "openai"

    settings = Settings(paths, env=ENV)
    settings.add_provider("Mine", "openai", base_url="http://127.0.0.1:9/v1", default_model="m")
    assert [p["id"] for p in settings.providers()] == ["mine", "builtin"]
    assert settings.resolve({})[0].name == "Mine"
    # ...and the built-in one is still there by name
    assert settings.resolve({"model": f"builtin/{BUILTIN_FILE}"})[0].kind == "local"


def test_the_builtin_provider_cannot_be_changed_or_removed(paths):
    settings = Settings(paths, env=ENV)
    with pytest.raises(InvalidInput):
        settings.update_provider("builtin", name="Other")
    with pytest.raises(InvalidInput):
        settings.remove_provider("builtin")
    assert [p["id"] for p in settings.providers()] == ["builtin"]


def test_a_local_model_that_is_not_there_is_a_clear_error(paths):
    settings = Settings(paths, env=ENV)
    with pytest.raises(NoModel) as caught:
        settings.resolve({"model": "builtin/missing.gguf"})
    assert "Models page" in caught.value.args[0]


def test_the_builtin_model_is_offered_no_tools_and_the_short_prompt(openai_fake, paths, store):
    # The wire seam: the local config is served by the fake OpenAI server instead of the
    # runtime, so the test reads exactly what the model would have been sent.
    def factory(config: ProviderConfig):
        assert config.kind == "local"
        return make_provider(
            ProviderConfig(kind="openai", base_url=openai_fake.base_url, api_key="sk-fake")
        )

    settings = Settings(paths, env=ENV)
    agent = Agent(store, settings, ApprovalBroker(), provider_factory=factory)
    session = store.create_session()
    openai_fake.reply(text="Hello there.")

    stored, _, status = turn(store, agent, session["id"], "Hi")

    assert status == "completed"
    assert stored[-1]["content"] == "Hello there."
    sent = openai_fake.last_body
    assert "tools" not in sent
    system = sent["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith(CHAT_PROMPT.split("{date}")[0])
    assert "workspace" not in system["content"].lower()
