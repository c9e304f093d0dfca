"""run_command: real shell commands, timeouts and cancel that leave no process behind."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import psutil
import pytest
from conftest_tools import call, make_ctx

from core.agent.tools import ToolContext, ToolResult

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX shell commands")

# Starts two background sleeps and a foreground one, writing every pid to `pids`.
SLEEPERS = (
    "sleep 30 & echo $! >> pids; sleep 30 & echo $! >> pids; echo $$ >> pids; "
    "echo started; sleep 30"
)


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return make_ctx(tmp_path)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_for_pids(path: Path, count: int, timeout: float = 5.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            lines = path.read_text().splitlines()
            if len(lines) >= count and path.read_text().endswith("\n"):
                return [int(line) for line in lines]
        time.sleep(0.01)
    raise AssertionError(f"the command did not write {count} pids")


def _run_in_thread(args: dict, ctx: ToolContext) -> tuple[threading.Thread, list[ToolResult]]:
    results: list[ToolResult] = []
    thread = threading.Thread(target=lambda: results.append(call("run_command", args, ctx)))
    thread.start()
    return thread, results


def test_output_and_exit_code(ctx: ToolContext) -> None:
    result = call("run_command", {"command": "echo out; echo err >&2; exit 3"}, ctx)
    assert not result.ok
    assert result.output == "out\nerr\n[exit code 3]"
    good = call("run_command", {"command": "pwd; cat"}, ctx)  # cat sees a closed stdin
    assert good.ok
    assert good.output == f"{os.path.realpath(ctx.workspace)}\n[exit code 0]"


def test_hearth_secrets_stay_out_of_the_environment(
    ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEARTH_TOKEN", "s3cret-token")
    monkeypatch.setenv("SOME_OTHER", "visible")
    result = call("run_command", {"command": 'echo "[$HEARTH_TOKEN][$SOME_OTHER]"'}, ctx)
    assert result.output.startswith("[][visible]")


def test_long_output_keeps_head_and_tail(ctx: ToolContext) -> None:
    command = "i=0; while [ $i -lt 40000 ]; do echo line$i; i=$((i+1)); done"
    result = call("run_command", {"command": command}, ctx)
    assert result.ok
    assert len(result.output) <= ctx.output_cap
    assert result.output.startswith("line0\nline1\n")
    assert "line39999\n[exit code 0]" in result.output
    assert result.display is not None and "line39999\n[exit code 0]" in result.display
    assert "[output truncated: showed" in result.output
    assert result.display is not None and len(result.display) > len(result.output)


def test_huge_output_is_bounded_in_memory_too(ctx: ToolContext) -> None:
    result = call("run_command", {"command": "head -c 5000000 /dev/zero | tr '\\0' 'a'"}, ctx)
    assert result.ok
    assert "[the command printed 5,000,000 bytes in all]" in result.output
    assert len(result.display or "") <= ctx.display_cap + 500


def test_timeout_kills_the_whole_group(ctx: ToolContext) -> None:
    started = time.monotonic()
    result = call("run_command", {"command": SLEEPERS, "timeout": 1}, ctx)
    elapsed = time.monotonic() - started
    assert elapsed < 3
    assert not result.ok
    assert "started" in result.output
    assert "[timed out after 1 s; the command and its processes were killed]" in result.output
    pids = _wait_for_pids(ctx.workspace / "pids", 3)
    assert all(_gone(pid) for pid in pids)


def test_cancel_kills_the_group_within_a_second(ctx: ToolContext) -> None:
    thread, results = _run_in_thread({"command": SLEEPERS}, ctx)
    pids = _wait_for_pids(ctx.workspace / "pids", 3)
    assert not any(_gone(pid) for pid in pids)
    cancelled_at = time.monotonic()
    ctx.cancel.set()
    thread.join(5)
    elapsed = time.monotonic() - cancelled_at
    assert not thread.is_alive()
    assert elapsed < 1.5
    assert all(_gone(pid) for pid in pids)
    assert not results[0].ok
    assert "cancelled by the user" in results[0].output


def test_background_leftovers_are_stopped_when_the_command_ends(ctx: ToolContext) -> None:
    started = time.monotonic()
    result = call("run_command", {"command": "sleep 30 & echo $! > pids; echo done"}, ctx)
    assert time.monotonic() - started < 2
    assert result.ok
    assert result.output.startswith("done\n[exit code 0]")
    assert "background processes it left running were stopped" in result.output
    assert _gone(int((ctx.workspace / "pids").read_text()))


def test_timeout_is_capped_and_validated(ctx: ToolContext) -> None:
    assert "positive" in call("run_command", {"command": "true", "timeout": 0}, ctx).output
    assert call("run_command", {"command": "true", "timeout": 10**9}, ctx).ok
    assert "command is empty" in call("run_command", {"command": "  "}, ctx).output
