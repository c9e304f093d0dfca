"""Shared by the MCP tests: a hub over a temporary data folder, and server entries."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from core.agent.mcp import McpHub
from core.paths import Paths
from core.settings import Secrets

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FILE_SECRETS = {"HEARTH_SECRETS_BACKEND": "file"}


def make_hub(data: Path, ledger=None) -> McpHub:
    paths = Paths.resolve(data)
    paths.create()
    return McpHub(paths, Secrets(paths, FILE_SECRETS), ledger=ledger)


def stdio_test_server(*args: str, **env: str) -> dict:
    """The entry for tests/fakes/mcp_server.py over stdio."""
    return {
        "command": sys.executable,
        "args": ["-m", "tests.fakes.mcp_server", *args],
        "env": {"PYTHONPATH": str(ROOT), **env},
    }


def time_server() -> dict:
    return {"command": str(BIN / "mcp-server-time"), "args": ["--local-timezone", "UTC"]}


def git_server(repo: Path) -> dict:
    return {"command": str(BIN / "mcp-server-git"), "args": ["--repository", str(repo)]}


def git_repo(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    git = shutil.which("git") or "git"
    subprocess.run([git, "init", "-q", str(folder)], check=True)
    (folder / "hello.txt").write_text("hello\n")
    subprocess.run([git, "-C", str(folder), "add", "hello.txt"], check=True)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HttpMcpServer:
    """tests/fakes/mcp_server.py over Streamable HTTP, in its own process."""

    def __init__(self, variant: int = 1) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.mcp_server", "--http", str(self.port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.close()
        raise RuntimeError("the HTTP MCP server did not start")

    def close(self) -> None:
        self.process.kill()
        self.process.wait(10)


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False
