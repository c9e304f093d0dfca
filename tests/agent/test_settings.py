"""Settings: defaults, validation, persistence, unreadable files, providers, env, resolve()."""

from __future__ import annotations

import json
import logging
import os
import stat
import threading

import pytest

from core.errors import InvalidInput, NotFound
from core.settings import NoModel, NoProvider, Settings, WorkspaceUnavailable, presets

# These tests are about the user's and the environment's providers: the built-in model is
# left out (tests/agent/test_local_model_settings.py covers it).
FILE_ENV = {"HEARTH_SECRETS_BACKEND": "file", "HEARTH_NO_BUILTIN_MODEL": "1"}
SECRET = "sk-very-secret-1234567890"


@pytest.fixture(autouse=True)
def _file_secrets(monkeypatch):
    monkeypatch.setenv("HEARTH_SECRETS_BACKEND", "file")


def make(paths, **env) -> Settings:
    return Settings(paths, env={**FILE_ENV, **env})


def file_text(paths) -> str:
    return (paths.config / "settings.json").read_text()


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# --- global settings ------------------------------------------------------------


def test_defaults(paths):
    settings = make(paths)

    assert settings.get() == {
        "system_prompt": None,
        "default_workspace": str(paths.data / "workspace"),
        "approvals": "ask",
        "theme": "system",
        "default_provider": None,
        "allow_private_network": False,
        "last_model": None,
        "last_workspace": None,
        "last_system_prompt": None,
        "last_tools_enabled": None,
        "local_model": None,
        "context_threshold": 0.8,
        "context_windows": {},
        "model_images": {},
        "prices": {},
    }
    assert settings.problem is None
    assert not (paths.config / "settings.json").exists()  # reading writes nothing


def test_update_checks_every_value_before_changing_any(paths):
    settings = make(paths)
    bad = [
        {"colour": "blue"},
        {"theme": "purple"},
        {"approvals": "never"},
        {"allow_private_network": "yes"},
        {"default_workspace": "relative/folder"},
        {"default_provider": "nobody"},
        {"system_prompt": 42},
        {"theme": "dark", "approvals": "sometimes"},
    ]
    for changes in bad:
        with pytest.raises(InvalidInput):
            settings.update(**changes)
    assert settings.get()["theme"] == "system"  # the good half of the last one was not applied
    assert not (paths.config / "settings.json").exists()

    with pytest.raises(InvalidInput) as caught:
        settings.update(colour="blue")
    assert "theme" in caught.value.message  # says which settings exist


def test_changes_persist_across_instances_in_a_private_file(paths, tmp_path):
    settings = make(paths)
    folder = tmp_path / "my work"
    values = settings.update(
        theme="dark",
        approvals="allow_all",
        allow_private_network=True,
        system_prompt="Be kind.",
        default_workspace=str(folder),
    )
    assert values["theme"] == "dark" and values["default_workspace"] == str(folder)

    again = make(paths)

    assert again.get() == values
    assert mode(paths.config / "settings.json") == 0o600
    assert [p.name for p in paths.config.iterdir()] == ["settings.json"]  # no temp files left

    assert again.update(system_prompt="   ", default_workspace=None)["system_prompt"] is None
    assert again.get()["default_workspace"] == str(paths.data / "workspace")


def test_unreadable_file_is_reported_and_kept_until_a_save(paths, caplog):
    paths.config.mkdir(parents=True)
    broken = paths.config / "settings.json"
    broken.write_text('{"settings": {"theme": "dark"')

    with caplog.at_level(logging.WARNING):
        settings = make(paths)

    assert settings.get()["theme"] == "system"
    assert str(broken) in settings.problem and "could not be read" in settings.problem
    assert "could not be read" in caplog.text
    assert broken.read_text() == '{"settings": {"theme": "dark"'  # untouched
    make(paths)  # opening again changes nothing either
    assert broken.read_text() == '{"settings": {"theme": "dark"'

    settings.update(theme="light")

    assert settings.problem is None
    kept = list(paths.config.glob("settings.json.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_text() == '{"settings": {"theme": "dark"'
    assert json.loads(file_text(paths))["settings"]["theme"] == "light"
    assert make(paths).problem is None


def test_a_file_that_is_not_an_object_is_unreadable_too(paths):
    paths.config.mkdir(parents=True)
    (paths.config / "settings.json").write_text("[1, 2, 3]")
    assert "could not be read" in make(paths).problem


def test_bad_values_in_a_good_file_fall_back_to_defaults(paths):
    paths.config.mkdir(parents=True)
    (paths.config / "settings.json").write_text(
        json.dumps(
            {
                "version": 1,
                "settings": {
                    "theme": "purple",
                    "approvals": "allow_all",
                    "default_provider": "gone",
                },
                "providers": [
                    {
                        "id": "ok",
                        "name": "Ok",
                        "kind": "openai",
                        "base_url": None,
                        "default_model": None,
                        "enabled": True,
                        "has_key": False,
                    },
                    {"id": "bad", "name": "Bad", "kind": "soap"},
                ],
            }
        )
    )

    settings = make(paths)

    assert settings.get()["theme"] == "system"
    assert settings.get()["approvals"] == "allow_all"
    assert [p["id"] for p in settings.providers()] == ["ok"]
    assert "theme" in settings.problem and "providers[1]" in settings.problem
    assert "default_provider" in settings.problem


def test_workspace_for_creates_the_default_only(paths, tmp_path):
    settings = make(paths)
    default = settings.workspace_for({})
    assert default == paths.data / "workspace" and default.is_dir()

    chosen = tmp_path / "project"
    chosen.mkdir()
    assert settings.workspace_for({"workspace": str(chosen)}) == chosen
    with pytest.raises(WorkspaceUnavailable) as caught:
        settings.workspace_for({"workspace": str(tmp_path / "missing")})
    assert caught.value.code == "workspace_unavailable"
    assert not (tmp_path / "missing").exists()

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(InvalidInput):
        settings.update(default_workspace=str(blocker))
    settings.update(default_workspace=str(tmp_path / "new-default"))
    assert settings.workspace_for({}) == tmp_path / "new-default"
    assert (tmp_path / "new-default").is_dir()


def test_a_workspace_is_never_relative_to_where_the_server_started(paths, tmp_path, monkeypatch):
    settings = make(paths)
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path)
    for relative in ("here", ".", "..", "~no-such-user-at-all/x"):
        with pytest.raises(WorkspaceUnavailable, match="full path"):
            settings.workspace_for({"workspace": relative})
    with pytest.raises(InvalidInput):
        settings.update(default_workspace="~no-such-user-at-all/x")


# --- providers ------------------------------------------------------------------


def test_add_provider_keeps_the_key_out_of_every_read_and_of_settings_json(paths, caplog):
    settings = make(paths)
    with caplog.at_level(logging.DEBUG):
        added = settings.add_provider(
            "OpenAI",
            "openai",
            base_url="https://api.openai.com/v1/",
            default_model="gpt-4o-mini",
            api_key=f"  {SECRET}\n",
        )

    assert added == {
        "id": "openai",
        "name": "OpenAI",
        "kind": "openai",
        "base_url": "https://api.openai.com/v1",
        "default_model": "gpt-4o-mini",
        "enabled": True,
        "has_key": True,
        "source": "settings",
        "is_default": True,
    }
    assert settings.providers() == [added]
    assert SECRET not in file_text(paths)
    assert SECRET not in json.dumps(settings.providers()) + json.dumps(settings.get())
    secrets_file = paths.config / "secrets.json"
    assert mode(secrets_file) == 0o600
    assert json.loads(secrets_file.read_text()) == {"openai": SECRET}
    config = settings.provider_config("openai")
    assert config.api_key == SECRET and config.default_model == "gpt-4o-mini"
    assert SECRET not in repr(config)
    assert SECRET not in caplog.text

    again = make(paths)
    assert again.providers() == [added]
    assert again.provider_config("openai").api_key == SECRET


def test_update_provider_key_is_write_only(paths):
    settings = make(paths)
    settings.add_provider(
        "Groq", "openai", base_url="https://api.groq.com/openai/v1", api_key=SECRET
    )

    renamed = settings.update_provider("groq", name="Groq cloud", default_model="llama-3.3")
    assert renamed["name"] == "Groq cloud" and renamed["has_key"] is True
    assert settings.provider_config("groq").api_key == SECRET  # None leaves the key alone

    settings.update_provider("groq", api_key="sk-other-key")
    assert settings.provider_config("groq").api_key == "sk-other-key"

    cleared = settings.update_provider("groq", api_key="")
    assert cleared["has_key"] is False
    assert settings.provider_config("groq").api_key is None
    assert json.loads((paths.config / "secrets.json").read_text()) == {}

    with pytest.raises(InvalidInput):
        settings.update_provider("groq", colour="red")
    with pytest.raises(InvalidInput):
        settings.update_provider("groq", enabled="no")
    with pytest.raises(NotFound):
        settings.update_provider("nobody", name="x")


def test_moving_a_provider_forgets_its_key_unless_it_is_entered_again(paths):
    settings = make(paths)
    settings.add_provider(
        "Groq", "openai", base_url="https://api.groq.com/openai/v1/", api_key=SECRET
    )

    same = settings.update_provider("groq", base_url="https://api.groq.com/openai/v1/")
    assert same["has_key"] is True  # the same address, written differently, keeps the key

    moved = settings.update_provider("groq", base_url="http://127.0.0.1:9/v1")
    assert moved["has_key"] is False
    assert settings.provider_config("groq").api_key is None
    assert SECRET not in (paths.config / "secrets.json").read_text()
    assert make(paths).provider_config("groq").api_key is None  # gone from disk too

    again = settings.update_provider(
        "groq", base_url="https://api.groq.com/openai/v1", api_key="sk-typed-again"
    )
    assert again["has_key"] is True
    assert settings.provider_config("groq").api_key == "sk-typed-again"


def test_changing_the_kind_of_a_provider_without_url_forgets_its_key(paths):
    settings = make(paths)
    settings.add_provider("Cloud", "openai", api_key=SECRET)  # OpenAI's default address

    assert settings.update_provider("cloud", kind="anthropic")["has_key"] is False
    assert settings.provider_config("cloud").api_key is None

    settings.update_provider("cloud", api_key=SECRET)
    kept = settings.update_provider("cloud", kind="anthropic", name="Claude")  # no move
    assert kept["has_key"] is True


def test_remove_provider_forgets_its_key_and_default(paths):
    settings = make(paths)
    settings.add_provider("Local", "openai", base_url="http://127.0.0.1:11434/v1", api_key=SECRET)
    settings.update(default_provider="local")

    settings.remove_provider("local")

    assert settings.providers() == []
    assert settings.get()["default_provider"] is None
    assert SECRET not in (paths.config / "secrets.json").read_text()
    with pytest.raises(NotFound):
        settings.remove_provider("local")


def test_provider_ids_are_readable_and_unique(paths):
    settings = make(paths)
    ids = [
        settings.add_provider(name, "openai")["id"]
        for name in ["Ollama", "Ollama", "env", "LM Studio!", "***"]
    ]
    assert ids == ["ollama", "ollama-2", "env-2", "lm-studio", "provider"]


def test_add_provider_validation(paths):
    settings = make(paths)
    bad = [
        dict(name="", kind="openai"),
        dict(name="X", kind="gemini"),
        dict(name="X", kind="openai", base_url="ftp://example.com"),
        dict(name="X", kind="openai", base_url="not a url"),
        dict(name="X", kind="openai", api_key="sk-one\nsk-two"),
        dict(name="X", kind="openai", enabled="yes"),
    ]
    for fields in bad:
        with pytest.raises(InvalidInput):
            settings.add_provider(**fields)
    assert settings.providers() == []


def test_concurrent_changes_are_all_kept(paths):
    settings = make(paths)
    threads = [
        threading.Thread(target=settings.add_provider, args=(f"P{i}", "openai")) for i in range(12)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)

    assert len({p["id"] for p in settings.providers()}) == 12
    assert len(make(paths).providers()) == 12


def test_presets_cover_the_common_services():
    by_name = {p["name"]: p for p in presets()}
    assert by_name["OpenAI"]["base_url"] == "https://api.openai.com/v1"
    assert by_name["OpenRouter"]["base_url"] == "https://openrouter.ai/api/v1"
    assert by_name["Ollama"]["base_url"] == "http://127.0.0.1:11434/v1"
    assert by_name["LM Studio"]["base_url"] == "http://127.0.0.1:1234/v1"
    assert by_name["Anthropic"]["kind"] == "anthropic"


# --- the environment's provider ---------------------------------------------------


def test_environment_provider_is_listed_used_and_never_written(paths):
    env = {
        "HEARTH_BASE_URL": "http://127.0.0.1:11434/v1",
        "HEARTH_API_KEY": SECRET,
        "HEARTH_MODEL": "llama3.2",
    }
    settings = make(paths, **env)

    [listed] = settings.providers()
    assert listed["id"] == "env" and listed["source"] == "environment"
    assert listed["has_key"] is True and listed["is_default"] is True
    assert listed["base_url"] == "http://127.0.0.1:11434/v1"
    assert SECRET not in json.dumps(settings.providers())

    config, model = settings.resolve({})
    assert (config.base_url, config.api_key, model) == (env["HEARTH_BASE_URL"], SECRET, "llama3.2")

    settings.add_provider("Other", "openai")
    settings.update(theme="dark")
    assert "env" not in [p["id"] for p in json.loads(file_text(paths))["providers"]]
    assert SECRET not in file_text(paths)
    assert not (paths.config / "secrets.json").exists()
    with pytest.raises(InvalidInput):
        settings.update_provider("env", name="Mine")
    with pytest.raises(InvalidInput):
        settings.remove_provider("env")

    settings.update(default_provider="other")  # a chosen default wins over the environment
    assert settings.resolve({"model": "m"})[0].name == "Other"
    assert settings.resolve({"model": "env/qwen"})[1] == "qwen"


def test_environment_without_a_key_or_url_adds_nothing(paths):
    assert make(paths, HEARTH_MODEL="llama3.2").providers() == []
    keyless = make(paths, HEARTH_BASE_URL="http://127.0.0.1:1234/v1").providers()
    assert keyless[0]["has_key"] is False


# --- resolve ----------------------------------------------------------------------


def test_resolve_without_any_provider_points_to_settings(paths):
    with pytest.raises(NoProvider) as caught:
        make(paths).resolve({"model": "gpt-4o"})
    assert caught.value.code == "no_provider"
    assert "Settings" in caught.value.message


def test_resolve_without_a_model_says_so(paths):
    settings = make(paths)
    settings.add_provider("Ollama", "openai", base_url="http://127.0.0.1:11434/v1")
    with pytest.raises(NoModel) as caught:
        settings.resolve({"model": None})
    assert caught.value.code == "no_model"
    assert "Ollama" in caught.value.message


def test_resolve_picks_provider_and_model(paths):
    settings = make(paths)
    settings.add_provider(
        "OpenRouter",
        "openai",
        base_url="https://openrouter.ai/api/v1",
        default_model="openai/gpt-4o-mini",
        api_key="sk-or",
    )
    settings.add_provider(
        "Anthropic", "anthropic", default_model="claude-sonnet-4-5", api_key="sk-ant"
    )

    # no default chosen: the first enabled provider, its default model
    config, model = settings.resolve({})
    assert (config.name, model) == ("OpenRouter", "openai/gpt-4o-mini")
    # "provider_id/model"
    config, model = settings.resolve({"model": "anthropic/claude-haiku-4-5"})
    assert (config.kind, config.api_key, model) == ("anthropic", "sk-ant", "claude-haiku-4-5")
    # a prefix that is no provider id is part of the model's name
    config, model = settings.resolve({"model": "meta-llama/llama-3-70b"})
    assert (config.name, model) == ("OpenRouter", "meta-llama/llama-3-70b")
    # the override wins over the session
    _, model = settings.resolve({"model": "anthropic/x"}, model_override="openrouter/y")
    assert model == "y"
    # "provider_id/" alone means that provider's default model
    assert settings.resolve({"model": "anthropic/"})[1] == "claude-sonnet-4-5"

    settings.update(default_provider="anthropic")
    assert settings.resolve({"model": "claude-opus-4-1"})[0].kind == "anthropic"

    settings.update_provider("anthropic", enabled=False)
    with pytest.raises(NoProvider) as caught:
        settings.resolve({})
    assert "turned off" in caught.value.message
