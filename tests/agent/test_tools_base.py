"""The registry, argument checking and run_tool's error handling."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest_tools import call, make_ctx

from core.agent.tools import (
    Tool,
    ToolContext,
    ToolError,
    ToolResult,
    default_tools,
    get_tool,
    run_tool,
    tool_schemas,
)

EXPECTED = {
    "list_directory": True,
    "read_file": True,
    "search_files": True,
    "write_file": False,
    "edit_file": False,
    "run_command": False,
    "fetch_url": False,
}


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return make_ctx(tmp_path)


def test_default_tools_are_the_seven_with_their_approval_kind() -> None:
    tools = default_tools()
    assert {t.name: t.read_only for t in tools} == EXPECTED
    for tool in tools:
        assert tool.description and len(tool.description) > 40
        assert tool.parameters["type"] == "object"
        assert isinstance(tool.parameters["required"], list)
        for key in tool.parameters["required"]:
            assert key in tool.parameters["properties"]


def test_tool_schemas_and_get_tool() -> None:
    schemas = tool_schemas(default_tools())
    assert [s["name"] for s in schemas] == list(EXPECTED)
    assert all(set(s) == {"name", "description", "parameters"} for s in schemas)
    assert get_tool("read_file").name == "read_file"
    assert get_tool("rm_rf") is None


def test_summaries_are_one_line_and_never_raise() -> None:
    args = {
        "path": "src/a.py",
        "content": "xy",
        "old_text": "a\nb",
        "new_text": "c",
        "command": "pytest -q",
        "url": "https://example.com",
        "pattern": "def ",
    }
    for tool in default_tools():
        line = tool.summary(args)
        assert line and "\n" not in line
        assert tool.summary({})  # bad arguments still give a line
    assert get_tool("run_command").summary({"command": "pytest -q"}) == (
        "Run `pytest -q` in the workspace"
    )


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("read_file", {}, "missing required argument: path"),
        ("read_file", {"path": 3}, "argument 'path' must be a string, not int"),
        ("read_file", {"path": "a", "start_line": "1"}, "must be an integer"),
        ("read_file", {"path": "a", "start_line": True}, "must be an integer"),
        (
            "edit_file",
            {"path": "a", "old_text": "x", "new_text": "y", "replace_all": 1},
            "must be a boolean",
        ),
        ("read_file", {"path": "a", "file": "b"}, "unknown argument: file"),
        ("read_file", ["a"], "arguments must be a JSON object"),
    ],
)
def test_bad_arguments_become_error_results(
    ctx: ToolContext, name: str, args: Any, message: str
) -> None:
    result = call(name, args, ctx)
    assert not result.ok
    assert result.output.startswith("Error: ")
    assert message in result.output


class _Boom(Tool):
    name = "boom"
    parameters = {"type": "object", "properties": {}, "required": []}

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        raise KeyError("secret internals")


class _Chatty(Tool):
    name = "chatty"
    parameters = {"type": "object", "properties": {}, "required": []}

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        return ToolResult(ok=True, output="line\n" * 50_000)


class _Refuses(Tool):
    name = "refuses"
    parameters = {"type": "object", "properties": {}, "required": []}

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        raise ToolError("that cannot be done")


def test_unexpected_exception_is_a_short_error_not_a_traceback(ctx: ToolContext) -> None:
    result = run_tool(_Boom(), {}, ctx)
    assert not result.ok
    assert result.output.startswith("Error: boom failed unexpectedly (KeyError")
    assert "Traceback" not in result.output


def test_tool_error_message_is_passed_on(ctx: ToolContext) -> None:
    expected = ToolResult(ok=False, output="Error: that cannot be done")
    assert run_tool(_Refuses(), {}, ctx) == expected


def test_long_output_is_capped_with_a_note_and_a_longer_display(ctx: ToolContext) -> None:
    result = run_tool(_Chatty(), {}, ctx)
    assert len(result.output) <= ctx.output_cap
    assert re.search(r"\[output truncated: showed 29,9\d\d of 250,000 characters\]$", result.output)
    assert result.display is not None and len(result.display) > len(result.output)


def test_cancelled_before_start(ctx: ToolContext) -> None:
    ctx.cancel.set()
    result = call("list_directory", {}, ctx)
    assert not result.ok and "cancelled" in result.output


def test_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path / "gone")
    for name, args in [
        ("list_directory", {}),
        ("read_file", {"path": "a"}),
        ("write_file", {"path": "a", "content": ""}),
        ("run_command", {"command": "true"}),
    ]:
        result = call(name, args, ctx)
        assert not result.ok
        assert "workspace folder" in result.output and "does not exist" in result.output
    assert not (tmp_path / "gone").exists()
