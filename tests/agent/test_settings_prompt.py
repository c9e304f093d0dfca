"""The system prompt: Hearth's default, the global one, the session's own."""

from __future__ import annotations

from datetime import date

import pytest

from core.agent.prompt import default_system_prompt, system_prompt_for
from core.settings import Settings

DAY = date(2025, 3, 14)


@pytest.fixture
def settings(paths, monkeypatch):
    monkeypatch.setenv("HEARTH_SECRETS_BACKEND", "file")
    return Settings(paths, env={"HEARTH_SECRETS_BACKEND": "file"})


def test_default_prompt_says_what_hearth_is_where_and_when():
    prompt = default_system_prompt("/home/ada/work", DAY)

    assert "Hearth" in prompt
    assert "/home/ada/work" in prompt
    assert "2025-03-14" in prompt and "Friday" in prompt
    for tool in (
        "list_directory",
        "read_file",
        "search_files",
        "write_file",
        "edit_file",
        "run_command",
        "fetch_url",
    ):
        assert tool in prompt
    assert "asks the user" in prompt
    assert "{" not in prompt


def test_session_prompt_wins_over_global_which_wins_over_default(settings, tmp_path):
    session = {"workspace": str(tmp_path), "system_prompt": None}
    assert system_prompt_for(session, settings, DAY) == default_system_prompt(str(tmp_path), DAY)

    settings.update(system_prompt="Global: work in {workspace} on {date}.")
    assert system_prompt_for(session, settings, DAY) == (
        f"Global: work in {tmp_path} on Friday, 2025-03-14."
    )

    session["system_prompt"] = 'Session: reply as JSON like {"a": 1} in {workspace}.'
    assert system_prompt_for(session, settings, DAY) == (
        f'Session: reply as JSON like {{"a": 1}} in {tmp_path}.'
    )


def test_prompt_names_the_default_workspace_when_the_session_has_none(settings, paths):
    prompt = system_prompt_for({}, settings, DAY)
    assert str(paths.data / "workspace") in prompt
    assert date.today().isoformat() in system_prompt_for({}, settings)
