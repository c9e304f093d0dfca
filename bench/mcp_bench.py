"""MCP benchmarks (issue 13): Hearth's start time and idle memory with three configured MCP
servers against none (servers start lazily, so the two should match), and the cost of an
MCP tool call through Hearth's client (a run's thread, the loop bridge, the McpTool adapter)
over the bare SDK calling the same server, measured in one run.

Run: ``python bench/mcp_bench.py`` (or ``python bench/run.py``).
``main()`` returns rows ``(measure, value, unit, target, passed)``.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import anyio  # noqa: E402
import httpx  # noqa: E402
import psutil  # noqa: E402

from bench.report import print_table  # noqa: E402
from bench.server_bench import Served  # noqa: E402

STARTS = 5
CALLS = 300
ROUNDS = 5  # alternating rounds; the medians are compared
BIN = Path(sys.executable).parent


def _test_server() -> dict:
    return {
        "command": sys.executable,
        "args": ["-m", "tests.fakes.mcp_server"],
        "env": {"PYTHONPATH": str(ROOT)},
    }


def _three_servers(data: Path) -> None:
    config = data / "config"
    config.mkdir(parents=True, exist_ok=True)
    servers = {
        "time": {"command": str(BIN / "mcp-server-time"), "args": [], "env": [], "enabled": True},
        "git": {"command": str(BIN / "mcp-server-git"), "args": [], "env": [], "enabled": True},
        "test": {**_test_server(), "env": ["PYTHONPATH"], "enabled": True},
    }
    (config / "mcp.json").write_text(json.dumps({"version": 1, "mcpServers": servers}))


def start_and_rss(with_servers: bool) -> tuple[float, float, int]:
    """Median start → /api/health seconds, idle RSS (MB), and child processes seen."""
    times, rss, children = [], [], 0
    for _ in range(STARTS):
        with tempfile.TemporaryDirectory() as data:
            if with_servers:
                _three_servers(Path(data))
            served = Served(data)
            while True:
                try:
                    if httpx.get(served.url + "/api/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
            times.append(time.perf_counter() - served.started)
            time.sleep(1.0)
            process = psutil.Process(served.process.pid)
            rss.append(process.memory_info().rss / 2**20)
            children = max(children, len(process.children(recursive=True)))
            served.stop()
    return statistics.median(times), statistics.median(rss), children


def calls_through_hearth(data: Path) -> float:
    from core.agent.tools import ToolContext, run_tool
    from tests.agent.mcp_support import make_hub

    hub = make_hub(data)
    hub.put("test", _test_server())
    try:
        echo = next(t for t in hub.tools() if t.server_tool == "echo")
        ctx = ToolContext(workspace=data)
        for _ in range(20):
            run_tool(echo, {"text": "warm"}, ctx)
        start = time.perf_counter()
        for n in range(CALLS):
            result = run_tool(echo, {"text": f"call {n}"}, ctx)
            assert result.ok, result.output
        return (time.perf_counter() - start) / CALLS
    finally:
        hub.close()


def calls_through_bare_sdk() -> float:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    async def run() -> float:
        entry = _test_server()
        params = StdioServerParameters(
            command=entry["command"], args=entry["args"], env=entry["env"]
        )
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                await session.list_tools()
                for _ in range(20):
                    await session.call_tool("echo", {"text": "warm"})
                start = time.perf_counter()
                for n in range(CALLS):
                    result = await session.call_tool("echo", {"text": f"call {n}"})
                    assert not result.is_error
                return (time.perf_counter() - start) / CALLS

    return anyio.run(run)


def main() -> list[tuple[str, float, str, str, bool]]:
    none_start, none_rss, _ = start_and_rss(False)
    three_start, three_rss, children = start_and_rss(True)
    with tempfile.TemporaryDirectory() as data:
        # alternate, so a busy moment of the machine weighs on both
        hearth_times, bare_times = [], []
        for _ in range(ROUNDS):
            bare_times.append(calls_through_bare_sdk())
            hearth_times.append(calls_through_hearth(Path(data)))
    hearth, bare = statistics.median(hearth_times), statistics.median(bare_times)
    ratio = hearth / bare
    start_ratio = three_start / none_start
    return [
        ("start → /api/health, no MCP server", none_start, "s", "≤ 0.5 s", none_start <= 0.5),
        ("start → /api/health, 3 MCP servers", three_start, "s", "≤ 0.5 s", three_start <= 0.5),
        ("  ratio 3 servers / none", start_ratio, "×", "≈ 1", start_ratio <= 1.15),
        ("idle RSS, no MCP server", none_rss, "MB", "≤ 60 MB", none_rss <= 60),
        ("idle RSS, 3 MCP servers", three_rss, "MB", "≤ 60 MB", three_rss <= 60),
        ("  server processes started at idle", children, "", "0", children == 0),
        (f"MCP echo call through Hearth ({CALLS})", hearth * 1000, "ms", "", True),
        ("  same call, bare SDK", bare * 1000, "ms", "", True),
        ("  ratio Hearth / bare SDK", ratio, "×", "≤ 1.2", ratio <= 1.2),
    ]


if __name__ == "__main__":
    sys.exit(0 if print_table("MCP servers", main()) else 1)
