"""No tool blocks on, or reads, a FIFO, a socket or anything else that is not a regular file."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest
from conftest_tools import call, make_ctx

from core.agent.tools import ToolContext, ToolResult

pytestmark = pytest.mark.skipif(os.name == "nt", reason="FIFOs and Unix sockets are POSIX")


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    ws = tmp_path / "ws"
    (ws / "sub").mkdir(parents=True)
    os.mkfifo(ws / "pipe")
    os.mkfifo(ws / "sub" / "pipe.txt")
    (ws / "sub" / "note.txt").write_text("needle here\n")
    os.symlink("pipe", ws / "link_to_pipe")
    return make_ctx(ws)


def _call_promptly(name: str, args: dict, ctx: ToolContext) -> ToolResult:
    """Run the tool in a thread: a tool that blocks fails the test instead of hanging it."""
    answer: list[ToolResult] = []
    worker = threading.Thread(target=lambda: answer.append(call(name, args, ctx)), daemon=True)
    worker.start()
    worker.join(5)
    if worker.is_alive():
        # Unblock the stuck open() so the thread can end, then fail.
        fd = os.open(ctx.workspace / args["path"], os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        pytest.fail(f"{name} blocked on {args['path']}")
    return answer[0]


@pytest.mark.parametrize("path", ["pipe", "sub/pipe.txt", "link_to_pipe"])
@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("read_file", {}),
        ("edit_file", {"old_text": "a", "new_text": "b"}),
        ("write_file", {"content": "x"}),
    ],
)
def test_a_fifo_is_refused_at_once(ctx: ToolContext, path: str, name: str, extra: dict) -> None:
    result = _call_promptly(name, {"path": path, **extra}, ctx)
    assert not result.ok
    assert "named pipe" in result.output and "not a regular file" in result.output
    assert (ctx.workspace / "pipe").is_fifo()


def test_search_skips_fifos_and_finds_the_rest(ctx: ToolContext) -> None:
    result = _call_promptly("search_files", {"pattern": "needle", "path": "."}, ctx)
    assert result.ok and result.output == "sub/note.txt:1: needle here"
    alone = _call_promptly("search_files", {"pattern": "x", "path": "sub/pipe.txt"}, ctx)
    assert not alone.ok and "not a regular file" in alone.output


def test_list_shows_a_fifo_without_opening_it(ctx: ToolContext) -> None:
    result = _call_promptly("list_directory", {"path": ".", "depth": 2}, ctx)
    assert result.ok
    assert "other        pipe (a named pipe (FIFO))" in result.output
    assert "other        sub/pipe.txt (a named pipe (FIFO))" in result.output


def test_a_unix_socket_is_refused(ctx: ToolContext) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.getcwd()
    os.chdir(ctx.workspace)  # a short relative name: socket paths are limited to ~100 bytes
    try:
        server.bind("sock")
    finally:
        os.chdir(old)
    server.listen(1)
    try:
        result = _call_promptly("read_file", {"path": "sock"}, ctx)
        assert not result.ok and "a socket, not a regular file" in result.output
        listing = _call_promptly("list_directory", {"path": "."}, ctx)
        assert "other        sock (a socket)" in listing.output
    finally:
        server.close()


def test_a_device_is_refused(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    try:
        os.mknod(ws / "zero", 0o600 | 0o020000, os.makedev(1, 5))  # a character device
    except (PermissionError, OSError):
        pytest.skip("creating a device node needs root")
    ctx = make_ctx(ws)
    result = _call_promptly("read_file", {"path": "zero"}, ctx)
    assert not result.ok and "a device, not a regular file" in result.output
