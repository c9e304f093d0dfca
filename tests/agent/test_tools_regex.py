"""search_files cannot hold a run or the server: linear-time matching, prompt cancel."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from conftest_tools import call, make_ctx

from core.agent.tools import ToolContext, ToolResult
from core.cancel import CancelToken

# Each of these takes Python's backtracking `re` seconds to years on the lines below.
CATASTROPHIC = [
    r"(a+)+$",
    r"(a|aa)+$",
    r"(a|a?)+$",
    r"(.+)+X",
    r"(\w+\s?)+$",
    r"(x+x+)+y",
    r"^(([a-z])+.)+[A-Z]([a-z])+$",
]


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    lines = [
        "a" * 26 + "!",
        "a" * 3900 + "!",
        "x" * 3900,
        "an ordinary line of forty characters ok",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" * 80,
    ]
    text = "\n".join(lines * 80) + "\n"
    assert len(text) < 1024 * 1024  # under the per-file cap: really searched
    (tmp_path / "bait.txt").write_text(text)
    return make_ctx(tmp_path)


def _sleep_lateness(stop: threading.Event, worst: list[float]) -> None:
    """How late a 10 ms sleep wakes, while another thread searches."""
    while not stop.is_set():
        began = time.perf_counter()
        time.sleep(0.01)
        worst[0] = max(worst[0], time.perf_counter() - began - 0.01)


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_a_catastrophic_pattern_finishes_fast_and_starves_no_one(
    ctx: ToolContext, pattern: str
) -> None:
    stop, worst = threading.Event(), [0.0]
    watcher = threading.Thread(target=_sleep_lateness, args=(stop, worst))
    watcher.start()
    try:
        began = time.monotonic()
        result = call("search_files", {"pattern": pattern}, ctx)
        took = time.monotonic() - began
    finally:
        stop.set()
        watcher.join()
    assert result.ok, result.output
    assert "skipped" not in result.output
    assert took < 3.0
    assert worst[0] < 0.5, f"a 10 ms sleep woke {worst[0]:.3f} s late during the search"


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        (r"(a)\1", "backreferences"),
        (r"foo(?=bar)", "lookaround"),
        (r"(?<!x)y", "lookaround"),
        (r"(?P<w>a)(?P=w)", "invalid"),
    ],
)
def test_patterns_re2_cannot_take_are_a_clear_error(
    ctx: ToolContext, pattern: str, words: str
) -> None:
    result = call("search_files", {"pattern": pattern}, ctx)
    assert not result.ok
    assert result.output.startswith("Error: invalid regular expression")
    assert words in result.output


def test_re2_syntax_still_finds_what_re_would(ctx: ToolContext) -> None:
    (ctx.workspace / "code.py").write_text("def Main():\n    return 1\n")
    found = call("search_files", {"pattern": r"(?i)def main\(\)", "glob": "*.py"}, ctx)
    assert found.output == "code.py:1: def Main():"
    found = call("search_files", {"pattern": r"^\s+return \d+$", "glob": "*.py"}, ctx)
    assert found.output == "code.py:2: return 1"


def test_the_description_says_re2() -> None:
    from core.agent.tools import get_tool

    tool = get_tool("search_files")
    assert tool is not None
    assert "RE2" in tool.description and "Python regular expression" not in tool.description


def _watch_looks(cancel: threading.Event | CancelToken, looks: int) -> threading.Event:
    """An event set once the search has looked at ``cancel`` ``looks`` times: it is mid-way
    through a file by then (it looks every few hundred lines)."""
    seen = threading.Event()
    count = [0]
    original = cancel.is_set

    def is_set() -> bool:
        count[0] += 1
        if count[0] >= looks:
            seen.set()
        return original()

    cancel.is_set = is_set  # type: ignore[method-assign]
    return seen


def _search_then_cancel(ctx: ToolContext, looked: threading.Event) -> tuple[ToolResult, float]:
    answer: list[ToolResult] = []
    worker = threading.Thread(
        target=lambda: answer.append(call("search_files", {"pattern": "zz+q"}, ctx))
    )
    worker.start()
    assert looked.wait(10)
    cancelled_at = time.monotonic()
    ctx.cancel.set()
    worker.join(10)
    assert not worker.is_alive()
    return answer[0], time.monotonic() - cancelled_at


@pytest.fixture
def big_workspace(tmp_path: Path) -> Path:
    """Enough short lines that a whole search takes several seconds."""
    ws = tmp_path / "big"
    ws.mkdir()
    body = "abcdefghij\n" * 95_000  # about 1 MB, the per-file cap
    for i in range(12):
        (ws / f"part{i:02}.txt").write_text(body)
    return ws


@pytest.mark.parametrize("token", [threading.Event, CancelToken])
def test_cancel_stops_a_search_within_a_second(big_workspace: Path, token: type) -> None:
    cancel = token()
    ctx = make_ctx(big_workspace, cancel=cancel)
    looked = _watch_looks(cancel, looks=200)  # about 50,000 lines in
    result, after = _search_then_cancel(ctx, looked)
    assert after < 1.0, f"the search went on {after:.2f} s after cancel"
    assert not result.ok and "cancelled" in result.output


def test_uncancelled_the_same_search_takes_longer_than_the_bound(big_workspace: Path) -> None:
    """The cancel test is only meaningful if the whole search outlasts its one-second bound."""
    began = time.monotonic()
    result = call("search_files", {"pattern": "zz+q"}, make_ctx(big_workspace))
    assert result.ok and result.output.startswith("No matches in 12 files")
    assert time.monotonic() - began > 1.0
