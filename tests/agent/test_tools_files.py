"""list_directory, read_file, write_file and edit_file on real files."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest_tools import call, make_ctx

from core.agent.tools import ToolContext


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return make_ctx(tmp_path)


# list_directory


def test_list_directory_shows_types_sizes_sorted(ctx: ToolContext) -> None:
    ws = ctx.workspace
    (ws / "src" / "pkg").mkdir(parents=True)
    (ws / "src" / "pkg" / "deep.py").write_text("x")
    (ws / "b.txt").write_text("hello")
    (ws / "A.md").write_text("")
    (ws / ".git").mkdir()
    (ws / ".git" / "HEAD").write_text("ref")
    result = call("list_directory", {}, ctx)
    assert result.ok
    assert result.output.splitlines() == [
        "./",
        "dir          .git/",
        "dir          src/",
        "file       0 A.md",
        "file       5 b.txt",
    ]
    deep = call("list_directory", {"depth": 3}, ctx).output
    assert "src/pkg/deep.py" in deep
    assert "HEAD" not in deep  # .git is listed, not entered
    assert call("list_directory", {"path": "src"}, ctx).output.splitlines() == [
        "src/",
        "dir          pkg/",
    ]


def test_list_directory_caps_entries_with_a_note(ctx: ToolContext) -> None:
    for i in range(520):
        (ctx.workspace / f"f{i:04}").write_text("")
    lines = call("list_directory", {}, ctx).output.splitlines()
    assert len(lines) == 1 + 500 + 1
    assert lines[-1].startswith("[listing stopped at 500 entries")


def test_list_directory_errors(ctx: ToolContext) -> None:
    (ctx.workspace / "f.txt").write_text("")
    assert "does not exist" in call("list_directory", {"path": "nope"}, ctx).output
    assert "is a file" in call("list_directory", {"path": "f.txt"}, ctx).output
    (ctx.workspace / "empty").mkdir()
    assert call("list_directory", {"path": "empty"}, ctx).output == "empty/ is empty."
    assert "at least 1" in call("list_directory", {"depth": 0}, ctx).output


# read_file


def test_read_file_numbers_lines_and_reads_ranges(ctx: ToolContext) -> None:
    (ctx.workspace / "a.py").write_text("one\ntwo\r\nthree\nfour\n")
    assert call("read_file", {"path": "a.py"}, ctx).output == (
        "     1\tone\n     2\ttwo\n     3\tthree\n     4\tfour"
    )
    part = call("read_file", {"path": "a.py", "start_line": 2, "end_line": 3}, ctx)
    assert part.output == "     2\ttwo\n     3\tthree"
    assert "fewer than 9 lines" in call("read_file", {"path": "a.py", "start_line": 9}, ctx).output
    bad = call("read_file", {"path": "a.py", "start_line": 3, "end_line": 2}, ctx)
    assert not bad.ok


def test_read_file_huge_file_is_capped_with_where_to_go_on(ctx: ToolContext) -> None:
    line = "x" * 99 + "\n"
    (ctx.workspace / "big.log").write_text(line * 50_000)  # 5 MB
    result = call("read_file", {"path": "big.log"}, ctx)
    assert result.ok
    assert len(result.output) <= ctx.output_cap
    last = re.search(
        r"showed lines 1–(\d+) of big.log \(5,000,000 bytes\); "
        r"read on with start_line=(\d+)\]$",
        result.output,
    )
    assert last and int(last.group(2)) == int(last.group(1)) + 1
    later = call("read_file", {"path": "big.log", "start_line": 49_999}, ctx)
    assert later.output.splitlines()[0].startswith(" 49999\t")
    assert len(later.output.splitlines()) == 2


def test_read_file_cuts_one_giant_line(ctx: ToolContext) -> None:
    (ctx.workspace / "min.js").write_text("a" * 3_000_000 + "\nsecond\n")
    result = call("read_file", {"path": "min.js"}, ctx)
    assert result.ok and "[line cut]" in result.output and "     2\tsecond" in result.output


def test_read_file_refuses_binary_and_folders(ctx: ToolContext) -> None:
    (ctx.workspace / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (ctx.workspace / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    for name in ("img.png", "latin1.txt"):
        result = call("read_file", {"path": name}, ctx)
        assert not result.ok and "binary file" in result.output
    assert "is a folder" in call("read_file", {"path": "."}, ctx).output
    assert "does not exist" in call("read_file", {"path": "nope.txt"}, ctx).output


def test_read_empty_file(ctx: ToolContext) -> None:
    (ctx.workspace / "e").write_text("")
    assert call("read_file", {"path": "e"}, ctx).output == "e is empty."


# write_file


def test_write_file_creates_folders_and_reports_bytes(ctx: ToolContext) -> None:
    result = call("write_file", {"path": "new/sub/é.txt", "content": "héllo\n"}, ctx)
    assert result.ok
    assert result.output == "Wrote 7 bytes to new/sub/é.txt (created)."
    assert (ctx.workspace / "new" / "sub" / "é.txt").read_bytes() == "héllo\n".encode()
    again = call("write_file", {"path": "new/sub/é.txt", "content": ""}, ctx)
    assert again.output == "Wrote 0 bytes to new/sub/é.txt (replaced)."
    assert sorted(os.listdir(ctx.workspace / "new" / "sub")) == ["é.txt"]  # no temp left


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_write_file_replaces_atomically_and_keeps_mode(ctx: ToolContext) -> None:
    target = ctx.workspace / "run.sh"
    target.write_text("old")
    target.chmod(0o755)
    before = target.stat().st_ino
    assert call("write_file", {"path": "run.sh", "content": "new"}, ctx).ok
    assert target.read_text() == "new"
    assert target.stat().st_ino != before  # a new file renamed over the old one
    assert target.stat().st_mode & 0o777 == 0o755


def test_write_file_refuses_a_folder(ctx: ToolContext) -> None:
    (ctx.workspace / "d").mkdir()
    assert "is a folder" in call("write_file", {"path": "d", "content": "x"}, ctx).output


# edit_file


def test_edit_file_replaces_one_occurrence(ctx: ToolContext) -> None:
    path = ctx.workspace / "a.py"
    path.write_bytes(b"def f():\r\n    return 1\r\n")
    result = call(
        "edit_file", {"path": "a.py", "old_text": "return 1", "new_text": "return 2"}, ctx
    )
    assert result.ok and result.output == "Replaced 1 occurrence in a.py."
    assert path.read_bytes() == b"def f():\r\n    return 2\r\n"


def test_edit_file_missing_or_ambiguous_leaves_file_identical(ctx: ToolContext) -> None:
    path = ctx.workspace / "a.txt"
    original = b"x = 1\nx = 1\ny = 2\n"
    path.write_bytes(original)
    missing = call("edit_file", {"path": "a.txt", "old_text": "z = 3", "new_text": "q"}, ctx)
    assert not missing.ok and "not found" in missing.output
    ambiguous = call("edit_file", {"path": "a.txt", "old_text": "x = 1", "new_text": "x = 9"}, ctx)
    assert not ambiguous.ok
    assert "found 2 times in a.txt; give more context or set replace_all" in ambiguous.output
    empty = call("edit_file", {"path": "a.txt", "old_text": "", "new_text": "q"}, ctx)
    assert not empty.ok
    assert path.read_bytes() == original
    every = call(
        "edit_file",
        {"path": "a.txt", "old_text": "x = 1", "new_text": "x = 9", "replace_all": True},
        ctx,
    )
    assert every.output == "Replaced 2 occurrences in a.txt."
    assert path.read_bytes() == b"x = 9\nx = 9\ny = 2\n"


def test_edit_file_refuses_binary_and_missing(ctx: ToolContext) -> None:
    (ctx.workspace / "b.bin").write_bytes(b"\xff\xfe\x00abc")
    result = call("edit_file", {"path": "b.bin", "old_text": "abc", "new_text": "d"}, ctx)
    assert not result.ok and "not UTF-8" in result.output
    assert (ctx.workspace / "b.bin").read_bytes() == b"\xff\xfe\x00abc"
    assert (
        "does not exist"
        in call("edit_file", {"path": "no.txt", "old_text": "a", "new_text": "b"}, ctx).output
    )
