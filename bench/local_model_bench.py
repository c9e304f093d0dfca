"""The built-in model: start, time to first token and tokens per second through Hearth's own
provider path, memory with the model loaded and after the idle stop, Hearth's start with the
runtime installed; and the same GGUF under llama-cpp-python's OpenAI-compatible server when
that package is importable (it is not a dependency: it builds from source for minutes).

``python bench/local_model_bench.py``
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402

from bench.server_bench import start_to_health  # noqa: E402
from core.agent.local.models import builtin_model_path  # noqa: E402
from core.agent.local.provider import LocalProvider  # noqa: E402
from core.agent.local.runtime import Runtime  # noqa: E402
from core.agent.providers import ProviderConfig, TextDelta, Usage, make_provider  # noqa: E402

PROMPT = [{"role": "user", "content": "Write three sentences about the sea."}]
MAX_TOKENS = 64
MB = 1024 * 1024


def stream_figures(provider) -> tuple[float, float]:
    """(seconds to the first token, tokens per second after it) for one answer."""
    begun = time.monotonic()
    first = None
    tokens = 0
    for event in provider.stream(PROMPT, model="m", options={"max_tokens": MAX_TOKENS}):
        if isinstance(event, TextDelta) and first is None:
            first = time.monotonic()
        if isinstance(event, Usage):
            tokens = event.output_tokens
    end = time.monotonic()
    first = first or end
    return first - begun, (tokens - 1) / (end - first) if end > first and tokens > 1 else 0.0


def builtin_rows() -> list:
    model = builtin_model_path()
    runtime = Runtime(idle_seconds=3)
    provider = LocalProvider(
        ProviderConfig(kind="local", base_url=model.resolve().as_uri()), runtime
    )
    me = psutil.Process()
    rss_before = me.memory_info().rss
    cold_first, _ = stream_figures(provider)  # starts the runtime: load + first token
    warm_first, rate = stream_figures(provider)
    pid = runtime.pid
    child_rss = psutil.Process(pid).memory_info().rss if pid else 0
    rss_loaded = me.memory_info().rss
    _, alive = psutil.wait_procs([psutil.Process(pid)], timeout=30) if pid else ([], [])
    rss_after = me.memory_info().rss
    provider.close()
    return [
        ("built-in: first token, runtime not started", cold_first, "s", "", True),
        ("built-in: first token, runtime warm", warm_first, "s", "", True),
        ("built-in: tokens per second", rate, "tok/s", "", True),
        ("built-in: runtime RSS, model loaded", child_rss / MB, "MB", "", True),
        ("Hearth's RSS before / with the runtime (MB)", rss_before / MB, "MB", "", True),
        ("  ... with the model loaded in the child", rss_loaded / MB, "MB", "", True),
        ("  ... after the idle stop (3 s)", rss_after / MB, "MB", "", True),
        ("runtime gone after the idle stop", float(not alive), "yes", "1", not alive),
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def llama_cpp_python_rows() -> list:
    needed = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "pydantic_settings")
    if any(importlib.util.find_spec(name) is None for name in needed):
        print("  (llama-cpp-python[server] is not installed: its rows are skipped)")
        return [("llama-cpp-python: not installed (skipped)", 0.0, "", "", True)]
    port = free_port()
    begun = time.monotonic()
    server = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(builtin_model_path()),
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and server.poll() is None:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        started = time.monotonic() - begun
        if server.poll() is not None:
            return [("llama-cpp-python: its server did not start (skipped)", 0.0, "", "", True)]
        provider = make_provider(
            ProviderConfig(kind="openai", base_url=f"http://127.0.0.1:{port}/v1", api_key="x")
        )
        cold_first, _ = stream_figures(provider)
        warm_first, rate = stream_figures(provider)
        rss = psutil.Process(server.pid).memory_info().rss
        provider.close()
    finally:
        server.terminate()
        server.wait(10)
    return [
        ("llama-cpp-python: start to /v1/models", started, "s", "", True),
        ("llama-cpp-python: first token, first request", cold_first, "s", "", True),
        ("llama-cpp-python: first token, warm", warm_first, "s", "", True),
        ("llama-cpp-python: tokens per second", rate, "tok/s", "", True),
        ("llama-cpp-python: server RSS, model loaded", rss / MB, "MB", "", True),
    ]


def main() -> list:
    start, rss = start_to_health()
    rows = [
        ("hearth serve start → /api/health (runtime installed)", start, "s", "≤ 0.5 s",
         start <= 0.5),
        ("  its RSS at idle", rss, "MB", "", True),
    ]  # fmt: skip
    return rows + builtin_rows() + llama_cpp_python_rows()


if __name__ == "__main__":
    from bench.report import print_table

    sys.exit(0 if print_table("Built-in model", main()) else 1)
