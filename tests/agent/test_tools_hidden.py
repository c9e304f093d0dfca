"""No tool sees Hearth's own data, config, logs, cache or secrets file, whatever the workspace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest_tools import call, make_ctx

from core.agent.tools import ToolContext, hearth_folders_inside, hearth_private_paths
from core.paths import Paths

TOKEN = "tok-0123456789abcdef"
KEY = "sk-secret-provider-key"


@pytest.fixture
def home(tmp_path: Path) -> tuple[Path, Paths, Path]:
    """A home folder holding Hearth's folders the way platformdirs lays them out."""
    home = tmp_path / "home"
    paths = Paths(
        data=home / ".local/share/Hearth",
        config=home / ".config/Hearth",
        logs=home / ".local/state/Hearth/log",
        cache=home / ".cache/Hearth",  # not created yet: hidden all the same
    )
    for folder in (paths.data, paths.config, paths.logs):
        folder.mkdir(parents=True)
    (paths.data / "server.json").write_text(f'{{"token": "{TOKEN}"}}\n')
    (paths.config / "secrets.json").write_text(f'{{"openai": "{KEY}"}}\n')
    (paths.logs / "server.log").write_text(f"started with {TOKEN}\n")
    (home / "notes.txt").write_text("my own notes mention token\n")
    return home, paths, paths.config / "secrets.json"


def _ctx(workspace: Path, paths: Paths, secrets: Path) -> ToolContext:
    return make_ctx(workspace, hidden=hearth_private_paths(paths, secrets))


CALLS = {
    "list_directory": lambda p: {"path": p},
    "read_file": lambda p: {"path": p},
    "search_files": lambda p: {"pattern": "tok|sk-", "path": p},
    "write_file": lambda p: {"path": p, "content": "pwned"},
    "edit_file": lambda p: {"path": p, "old_text": "t", "new_text": "pwned"},
}
PRIVATE = [
    ".local/share/Hearth",
    ".local/share/Hearth/server.json",
    ".config/Hearth/secrets.json",
    ".config/Hearth",
    ".local/state/Hearth/log/server.log",
    ".cache/Hearth/x.txt",
    ".local/share/Hearth/../Hearth/server.json",
    "./.config//Hearth/./secrets.json",
]


@pytest.mark.parametrize("name", list(CALLS))
@pytest.mark.parametrize("path", PRIVATE)
def test_every_tool_refuses_hearths_folders_in_a_home_workspace(
    home: tuple[Path, Paths, Path], name: str, path: str
) -> None:
    workspace, paths, secrets = home
    ctx = _ctx(workspace, paths, secrets)
    result = call(name, CALLS[name](path), ctx)
    assert not result.ok, result.output
    missing = path.startswith(".cache") and "does not exist" in result.output  # nothing there
    assert "Hearth's own folders" in result.output or missing
    assert TOKEN not in result.output and KEY not in result.output
    assert (paths.data / "server.json").read_text() == f'{{"token": "{TOKEN}"}}\n'
    assert (paths.config / "secrets.json").read_text() == f'{{"openai": "{KEY}"}}\n'
    assert not paths.cache.exists()


def test_list_and_search_do_not_show_what_is_inside(home: tuple[Path, Paths, Path]) -> None:
    workspace, paths, secrets = home
    ctx = _ctx(workspace, paths, secrets)
    listing = call("list_directory", {"depth": 5}, ctx)
    assert listing.ok
    assert "server.json" not in listing.output and "secrets.json" not in listing.output
    assert "hidden       .local/share/Hearth/ (Hearth's own folder" in listing.output
    assert "hidden       .config/Hearth/ (Hearth's own folder" in listing.output
    found = call("search_files", {"pattern": "tok|sk-"}, ctx)
    assert found.ok and found.output == "notes.txt:1: my own notes mention token"


def test_links_and_hard_links_to_hearths_files_are_refused(
    home: tuple[Path, Paths, Path],
) -> None:
    workspace, paths, secrets = home
    os.symlink(paths.data, workspace / "shortcut")
    os.symlink(".config/Hearth/secrets.json", workspace / "keys")
    os.link(secrets, workspace / "copy_of_keys.json")  # same inode, another name
    ctx = _ctx(workspace, paths, secrets)
    for path in ("shortcut/server.json", "shortcut", "keys", "copy_of_keys.json"):
        for name in ("read_file", "edit_file", "list_directory"):
            result = call(name, CALLS[name](path), ctx)
            assert not result.ok, (name, path, result.output)
            assert TOKEN not in result.output and KEY not in result.output
    found = call("search_files", {"pattern": "sk-"}, ctx)
    assert KEY not in found.output
    listing = call("list_directory", {}, ctx)
    assert "hidden       copy_of_keys.json" in listing.output
    assert "link         shortcut (points into Hearth's own folders)" in listing.output


def test_a_workspace_that_is_hearths_data_folder_is_refused_whole(
    home: tuple[Path, Paths, Path],
) -> None:
    _, paths, secrets = home
    ctx = _ctx(paths.data, paths, secrets)
    for name, args in {
        **{n: f("server.json") for n, f in CALLS.items()},
        "list_directory": {},
    }.items():
        result = call(name, args, ctx)
        assert not result.ok and "the workspace is one of Hearth's own folders" in result.output
    command = call("run_command", {"command": "cat server.json"}, ctx)
    assert not command.ok and TOKEN not in command.output


def test_the_default_workspace_inside_the_data_folder_works(
    home: tuple[Path, Paths, Path],
) -> None:
    _, paths, secrets = home
    workspace = paths.data / "workspace"
    workspace.mkdir()
    ctx = _ctx(workspace, paths, secrets)
    assert call("write_file", {"path": "a.txt", "content": "hello\n"}, ctx).ok
    assert call("read_file", {"path": "a.txt"}, ctx).output == "     1\thello"
    assert not call("read_file", {"path": "../server.json"}, ctx).ok
    assert hearth_folders_inside(workspace, ctx.hidden) == []


def test_hearth_folders_inside_names_what_a_chosen_workspace_holds(
    home: tuple[Path, Paths, Path],
) -> None:
    workspace, paths, secrets = home
    hidden = hearth_private_paths(paths, secrets)
    inside = hearth_folders_inside(workspace, hidden)
    assert paths.data in inside and paths.config in inside and paths.logs in inside
    assert paths.cache in inside
    assert hearth_folders_inside(workspace / ".config", hidden) == [paths.config, secrets]
    elsewhere = workspace.parent / "elsewhere"
    elsewhere.mkdir()
    assert hearth_folders_inside(elsewhere, hidden) == []
