"""File names that are not UTF-8, and lone surrogates, never reach a tool's output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest_tools import call, make_ctx

from core.agent.tools import Tool, ToolContext, ToolResult, run_tool

pytestmark = pytest.mark.skipif(os.name == "nt", reason="Windows file names are always Unicode")


def _encodable(text: str | None) -> None:
    if text is not None:
        text.encode("utf-8")  # raises on a lone surrogate


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    ws = os.fsencode(tmp_path)
    with open(ws + b"/bad\xff.txt", "wb") as handle:
        handle.write(b"needle in a badly named file\n")
    os.mkdir(ws + b"/dir\xe9")
    with open(ws + b"/dir\xe9/inner\xfe\xfd.txt", "wb") as handle:
        handle.write(b"needle deeper\n")
    os.symlink(b"bad\xff.txt", ws + b"/link\xc3")
    return make_ctx(tmp_path)


def test_list_directory_shows_bad_names_escaped(ctx: ToolContext) -> None:
    result = call("list_directory", {"depth": 2}, ctx)
    assert result.ok
    _encodable(result.output)
    _encodable(result.display)
    assert "bad\\xff.txt" in result.output
    assert "dir\\xe9/" in result.output
    assert "dir\\xe9/inner\\xfe\\xfd.txt" in result.output
    assert "link\\xc3 (points inside the workspace)" in result.output


def test_search_files_shows_bad_names_escaped(ctx: ToolContext) -> None:
    result = call("search_files", {"pattern": "needle"}, ctx)
    assert result.ok
    _encodable(result.output)
    assert result.output.splitlines() == [
        "bad\\xff.txt:1: needle in a badly named file",
        "dir\\xe9/inner\\xfe\\xfd.txt:1: needle deeper",
    ]
    globbed = call("search_files", {"pattern": "needle", "glob": "*.txt"}, ctx)
    _encodable(globbed.output)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("read_file", {"path": "nope\ud800.txt"}),
        ("read_file", {"path": "bad\udcff.txt"}),  # the surrogateescape spelling of the file
        ("write_file", {"path": "new\ud800.txt", "content": "x\udcff"}),
        ("edit_file", {"path": "bad\udcff.txt", "old_text": "needle", "new_text": "pin\ud800"}),
        ("search_files", {"pattern": "needle\ud800"}),
        ("list_directory", {"path": "\udce9"}),
    ],
)
def test_surrogates_from_the_model_never_reach_the_output(
    ctx: ToolContext, name: str, args: dict
) -> None:
    result = call(name, args, ctx)
    _encodable(result.output)
    _encodable(result.display)


def test_run_tool_makes_any_output_valid_utf8(tmp_path: Path) -> None:
    class Sloppy(Tool):
        name = "sloppy"
        parameters = {"type": "object", "properties": {}}

        def run(self, args: dict, ctx: ToolContext) -> ToolResult:
            return ToolResult(ok=True, output="a\ud800b\udcffc", display="d\udfffe")

    result = run_tool(Sloppy(), {}, make_ctx(tmp_path))
    assert result.ok
    _encodable(result.output)
    _encodable(result.display)
    assert result.output.startswith("a") and result.output.endswith("c")
