"""No tool reaches outside the workspace: `..`, absolute paths and symlinks are refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest_tools import call, make_ctx

from core.agent.tools import ToolContext

SECRET = "top secret\n"


@pytest.fixture
def layout(tmp_path: Path) -> tuple[ToolContext, Path]:
    """A workspace next to an `outside` folder, with links from one to the other."""
    ws = tmp_path / "ws"
    outside = tmp_path / "outside"
    (ws / "a").mkdir(parents=True)
    (outside / "dir").mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET)
    (outside / "dir" / "inner.txt").write_text(SECRET)
    (ws / "a" / "ok.txt").write_text("fine\n")
    os.symlink(outside / "secret.txt", ws / "link_file")
    os.symlink(outside / "dir", ws / "link_dir")
    os.symlink(outside / "missing.txt", ws / "dangling")
    os.symlink(ws / "loop1", ws / "loop2")
    os.symlink(ws / "loop2", ws / "loop1")
    os.symlink(ws / "a" / "ok.txt", ws / "inner_link")
    return make_ctx(ws), outside


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(folder.rglob("*"))
    }


ESCAPES = [
    "../outside/secret.txt",
    "/etc/passwd",
    "a/../../outside/secret.txt",
    "..",
    "link_file",
    "link_dir/inner.txt",
    "link_dir",
    "dangling",
    "link_dir/new.txt",
]

CALLS = {
    "list_directory": lambda p: {"path": p},
    "read_file": lambda p: {"path": p},
    "search_files": lambda p: {"pattern": "secret", "path": p},
    "write_file": lambda p: {"path": p, "content": "pwned"},
    "edit_file": lambda p: {"path": p, "old_text": "top", "new_text": "pwned"},
}


@pytest.mark.parametrize("name", list(CALLS))
@pytest.mark.parametrize("path", ESCAPES)
def test_escapes_are_refused_and_touch_nothing(
    layout: tuple[ToolContext, Path], name: str, path: str
) -> None:
    ctx, outside = layout
    before = _snapshot(outside)
    result = call(name, CALLS[name](path), ctx)
    assert not result.ok
    assert "is outside the workspace" in result.output
    assert "top secret" not in result.output
    assert _snapshot(outside) == before


@pytest.mark.parametrize("name", list(CALLS))
def test_symlink_loop_is_a_clear_error(layout: tuple[ToolContext, Path], name: str) -> None:
    ctx, _ = layout
    for path in ("loop1", "loop1/x"):
        result = call(name, CALLS[name](path), ctx)
        assert not result.ok
        assert "symbolic link loop" in result.output


def test_writing_through_outside_links_leaves_outside_untouched(
    layout: tuple[ToolContext, Path],
) -> None:
    ctx, outside = layout
    for path in ("link_file", "dangling", "link_dir/new.txt", "link_dir/sub/new.txt"):
        assert not call("write_file", {"path": path, "content": "x"}, ctx).ok
    assert (outside / "secret.txt").read_text() == SECRET
    assert not (outside / "missing.txt").exists()
    assert not (outside / "dir" / "new.txt").exists()
    assert not (outside / "dir" / "sub").exists()
    assert os.path.islink(ctx.workspace / "link_file")


def test_links_inside_the_workspace_are_fine(layout: tuple[ToolContext, Path]) -> None:
    ctx, _ = layout
    assert call("read_file", {"path": "inner_link"}, ctx).output == "     1\tfine"
    assert call("edit_file", {"path": "inner_link", "old_text": "fine", "new_text": "good"}, ctx).ok
    assert (ctx.workspace / "a" / "ok.txt").read_text() == "good\n"
    assert call("read_file", {"path": "a/../a/ok.txt"}, ctx).ok


def test_search_and_list_do_not_follow_links_out(layout: tuple[ToolContext, Path]) -> None:
    ctx, _ = layout
    search = call("search_files", {"pattern": "secret|fine|good"}, ctx)
    assert search.ok
    assert "top secret" not in search.output
    assert "a/ok.txt:1: fine" in search.output
    listing = call("list_directory", {"depth": 3}, ctx)
    assert "inner.txt" not in listing.output
    assert "link_dir (points outside the workspace)" in listing.output


@pytest.mark.skipif(os.name != "nt", reason="drive and UNC paths exist on Windows only")
@pytest.mark.parametrize("path", ["C:\\Windows\\win.ini", "\\\\server\\share\\x", "C:x"])
def test_windows_drive_and_unc_paths_are_refused(
    layout: tuple[ToolContext, Path], path: str
) -> None:
    ctx, _ = layout
    result = call("read_file", {"path": path}, ctx)
    assert not result.ok and "outside the workspace" in result.output
