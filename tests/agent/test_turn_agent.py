"""The Agent glue: settings, store and run_durably around the turn loop, as the server uses it."""

from __future__ import annotations

from datetime import date

import pytest

from core.agent.agent import Agent
from core.agent.approvals import ApprovalBroker
from core.agent.providers import make_provider
from core.cancel import CancelToken
from core.runs.durable import run_durably
from core.runs.live_run import LiveRun
from core.settings import NoProvider, Settings, WorkspaceUnavailable
from tests.agent.conftest_tools import page, serving
from tests.agent.conftest_turn import Events, tool_calls_sent, tool_results_sent
from tests.fakes import fixtures

any_fake = fixtures.any_fake
openai_fake = fixtures.openai_fake

# These tests are about the user's and the environment's providers: the built-in model is
# left out (tests/agent/test_local_model_settings.py covers it).
FILE_ENV = {"HEARTH_SECRETS_BACKEND": "file", "HEARTH_NO_BUILTIN_MODEL": "1"}


@pytest.fixture(autouse=True)
def _file_secrets(monkeypatch):
    monkeypatch.setenv("HEARTH_SECRETS_BACKEND", "file")


def settings_for(paths, fake, **updates) -> Settings:
    settings = Settings(paths, env=FILE_ENV)
    settings.add_provider(
        "Fake", fake.wire, base_url=fake.base_url, default_model="fake-model", api_key="sk-fake"
    )
    if updates:
        settings.update(**updates)
    return settings


def turn(store, agent: Agent, session_id: str, content: str, model: str | None = None):
    """One turn as the run manager runs it; (stored messages, events, status)."""
    begun = store.begin_run(session_id, content, model)
    live = LiveRun(begun["run"]["id"], session_id)
    events, cancel, status = Events(), CancelToken(), []

    def work(live: LiveRun) -> str:
        session = store.get_session(session_id)
        status.append(
            agent(
                live,
                session=session,
                history=session["messages"],
                model=model,
                emit=events,
                cancel=cancel,
            )
        )
        return status[-1]

    stored = run_durably(store, live, work)
    return stored, events, status[0] if status else None


def test_second_turn_sends_the_first_turns_tool_calls_and_results(any_fake, paths, store, tmp_path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "plan.md").write_text("Step one: breathe.\n")
    settings = settings_for(paths, any_fake)
    agent = Agent(store, settings, ApprovalBroker(settings.approval_policy))
    session = store.create_session(workspace=str(workspace))
    any_fake.reply(
        text="Reading.",
        tool_calls=[{"id": "call_plan", "name": "read_file", "arguments": {"path": "plan.md"}}],
    )
    any_fake.reply(text="The plan says to breathe.")

    stored, events, status = turn(store, agent, session["id"], "What is the plan?")

    assert status == "completed"
    assert [m["role"] for m in stored] == ["assistant", "tool", "assistant"]
    assert stored[-1]["content"] == "The plan says to breathe."
    assert stored[-1]["usage"] == {"input_tokens": 22, "output_tokens": 14}

    any_fake.reply(text="You are welcome.")
    _, _, status = turn(store, agent, session["id"], "Thanks!")

    assert status == "completed"
    assert tool_calls_sent(any_fake) == [
        {"id": "call_plan", "name": "read_file", "arguments": {"path": "plan.md"}}
    ]
    assert "breathe" in tool_results_sent(any_fake)["call_plan"]
    body = any_fake.last_body
    sent = str(body["messages"])
    assert "What is the plan?" in sent and "The plan says to breathe." in sent
    assert "Thanks!" in sent
    assert body["model"] == "fake-model"


def test_default_workspace_is_created_and_named_in_the_system_prompt(openai_fake, paths, store):
    settings = settings_for(paths, openai_fake)
    agent = Agent(store, settings, ApprovalBroker())
    session = store.create_session()
    openai_fake.reply(text="Hi.")

    _, _, status = turn(store, agent, session["id"], "Hello")

    assert status == "completed"
    default = paths.data / "workspace"
    assert default.is_dir()
    system = openai_fake.last_body["messages"][0]
    assert system["role"] == "system"
    assert str(default) in system["content"]
    assert date.today().isoformat() in system["content"]


def test_session_prompt_and_model_override_are_used(openai_fake, paths, store, tmp_path):
    settings = settings_for(paths, openai_fake, system_prompt="Global prompt.")
    agent = Agent(store, settings, ApprovalBroker())
    session = store.create_session(
        workspace=str(tmp_path),
        model="fake/fake-model-large",
        system_prompt="Be brief in {workspace}.",
    )
    openai_fake.reply(text="Ok.")
    turn(store, agent, session["id"], "Hello")
    assert openai_fake.last_body["model"] == "fake-model-large"
    assert openai_fake.last_body["messages"][0]["content"] == f"Be brief in {tmp_path}."

    openai_fake.reply(text="Ok.")
    turn(store, agent, session["id"], "Hello", model="fake/other-model")
    assert openai_fake.last_body["model"] == "other-model"


def test_no_provider_fails_the_run_with_a_pointer_to_settings(paths, store):
    settings = Settings(paths, env=FILE_ENV)
    agent = Agent(store, settings, ApprovalBroker())
    session = store.create_session()

    stored, _, status = turn(store, agent, session["id"], "Hello")

    assert status is None  # the agent raised
    assert stored[-1]["status"] == "error"
    assert "Settings" in stored[-1]["error"]
    with pytest.raises(NoProvider) as caught:
        agent(
            LiveRun("r", session["id"]),
            session=store.get_session(session["id"]),
            history=[],
            model=None,
            emit=Events(),
            cancel=CancelToken(),
        )
    assert caught.value.code == "no_provider"


def test_missing_session_workspace_is_a_clear_error(openai_fake, paths, store, tmp_path):
    settings = settings_for(paths, openai_fake)
    agent = Agent(store, settings, ApprovalBroker())
    session = store.create_session(workspace=str(tmp_path / "gone"))

    with pytest.raises(WorkspaceUnavailable) as caught:
        agent(
            LiveRun("r", session["id"]),
            session=session,
            history=[],
            model=None,
            emit=Events(),
            cancel=CancelToken(),
        )
    assert "does not exist" in caught.value.message
    assert openai_fake.model_requests == []


def test_providers_are_built_once_per_config(openai_fake, paths, store, tmp_path):
    built = []

    def factory(config):
        built.append(config)
        return make_provider(config)

    settings = settings_for(paths, openai_fake)
    agent = Agent(store, settings, ApprovalBroker(), provider_factory=factory)
    session = store.create_session(workspace=str(tmp_path))
    for _ in range(2):
        openai_fake.reply(text="Ok.")
        assert turn(store, agent, session["id"], "Hello")[2] == "completed"
    assert len(built) == 1

    settings.update_provider("fake", api_key="sk-new")
    openai_fake.reply(text="Ok.")
    turn(store, agent, session["id"], "Hello")
    assert len(built) == 2
    assert openai_fake.model_requests[-1].headers["authorization"] == "Bearer sk-new"
    agent.close()


def test_network_settings_reach_fetch_url(openai_fake, paths, store, tmp_path):
    settings = settings_for(paths, openai_fake, approvals="allow_all")
    agent = Agent(store, settings, ApprovalBroker(settings.approval_policy))
    session = store.create_session(workspace=str(tmp_path))
    with serving({"/": page("<p>local page</p>")}) as server:
        fetch = {"name": "fetch_url", "arguments": {"url": server.url + "/"}}

        openai_fake.reply(tool_calls=[{"id": "call_1", **fetch}])
        openai_fake.reply(text="Refused.")
        _, events, _ = turn(store, agent, session["id"], "Fetch it")
        assert events.of("approval.requested") == []  # allow_all from settings
        assert events.of("tool.completed")[0]["ok"] is False  # loopback refused by default

        settings.update(allow_private_network=True)
        openai_fake.reply(tool_calls=[{"id": "call_2", **fetch}])
        openai_fake.reply(text="Fetched.")
        _, events, _ = turn(store, agent, session["id"], "Fetch it")
        assert "local page" in events.of("tool.completed")[0]["output"]

        agent.blocked_addresses = frozenset({("127.0.0.1", server.port)})  # Hearth's own
        openai_fake.reply(tool_calls=[{"id": "call_3", **fetch}])
        openai_fake.reply(text="Refused.")
        _, events, _ = turn(store, agent, session["id"], "Fetch it")
        assert events.of("tool.completed")[0]["ok"] is False
