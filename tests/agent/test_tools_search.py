"""search_files: regex over the workspace's text files."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest_tools import call, make_ctx

from core.agent.tools import ToolContext


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    ws = tmp_path
    (ws / "src" / "pkg").mkdir(parents=True)
    (ws / "src" / "main.py").write_text("import os\n\ndef main():\n    return os.getcwd()\n")
    (ws / "src" / "pkg" / "util.py").write_text("def helper():\n    pass\n")
    (ws / "README.md").write_text("# Project\nCall main() to start.\n")
    (ws / "blob.bin").write_bytes(b"def main\x00\x01\x02")
    (ws / ".git").mkdir()
    (ws / ".git" / "config").write_text("def main in git\n")
    (ws / "node_modules" / "x").mkdir(parents=True)
    (ws / "node_modules" / "x" / "index.js").write_text("function main() {}\n")
    return make_ctx(ws)


def test_search_returns_path_line_text(ctx: ToolContext) -> None:
    result = call("search_files", {"pattern": r"def \w+\("}, ctx)
    assert result.ok
    assert result.output.splitlines() == [
        "src/main.py:3: def main():",
        "src/pkg/util.py:1: def helper():",
        "[1 binary or large files skipped]",
    ]


def test_search_with_glob_and_path(ctx: ToolContext) -> None:
    assert call("search_files", {"pattern": "main", "glob": "*.md"}, ctx).output == (
        "README.md:2: Call main() to start."
    )
    assert call("search_files", {"pattern": "def", "path": "src/pkg"}, ctx).output == (
        "src/pkg/util.py:1: def helper():"
    )
    assert (
        call("search_files", {"pattern": "def", "glob": "src/**/*.py"}, ctx).output.count("src/")
        == 2
    )
    assert call("search_files", {"pattern": "def", "path": "src/main.py"}, ctx).output == (
        "src/main.py:3: def main():"
    )


def test_search_skips_vcs_dependencies_binary_and_big_files(ctx: ToolContext) -> None:
    (ctx.workspace / "big.txt").write_text("main\n" * 300_000)  # 1.5 MB
    output = call("search_files", {"pattern": "main"}, ctx).output
    assert ".git" not in output and "node_modules" not in output
    assert "blob.bin" not in output and "big.txt" not in output
    assert "[2 binary or large files skipped]" in output
    inside = call("search_files", {"pattern": "main", "path": "node_modules"}, ctx).output
    assert inside == "node_modules/x/index.js:1: function main() {}"


def test_search_invalid_regex_is_a_clear_error(ctx: ToolContext) -> None:
    result = call("search_files", {"pattern": "def (main"}, ctx)
    assert not result.ok
    assert result.output.startswith("Error: invalid regular expression 'def (main'")


def test_search_caps_matches_with_a_note(ctx: ToolContext) -> None:
    (ctx.workspace / "many.txt").write_text("hit\n" * 1000)
    lines = call("search_files", {"pattern": "^hit$"}, ctx).output.splitlines()
    assert len(lines) == 201
    assert lines[0] == "many.txt:1: hit" and lines[199] == "many.txt:200: hit"
    assert lines[-1] == "[stopped at 200 matches; narrow the pattern, path or glob]"


def test_search_no_match_and_missing_path(ctx: ToolContext) -> None:
    none = call("search_files", {"pattern": "zzz_nothing", "glob": "*.py"}, ctx)
    assert none.ok and none.output == "No matches in 2 files searched."
    missing = call("search_files", {"pattern": "x", "path": "nope"}, ctx)
    assert not missing.ok and "does not exist" in missing.output
