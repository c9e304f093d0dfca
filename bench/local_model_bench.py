"""The built-in model: start, time to first token and tokens per second through Hearth's own
provider path, memory with the model loaded and after the idle stop, Hearth's start with the
runtime installed; and, in the same run, the same GGUF under llama-cpp-python's
OpenAI-compatible server (the alternative users would pick), with the same prompt, answer
length, context and thread count, then the two side by side.

llama-cpp-python is never a dependency of Hearth (it builds llama.cpp from source for minutes):
install it once in a venv of its own and point the bench at that venv's Python::

    python3 -m venv /tmp/llamavenv
    /tmp/llamavenv/bin/pip install 'llama-cpp-python[server]'
    HEARTH_BENCH_LLAMA_CPP_PYTHON=/tmp/llamavenv/bin/python python bench/local_model_bench.py

Without the variable its rows say they were skipped.
"""

from __future__ import annotations

import os
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
LLAMA_CPP_PYTHON = "HEARTH_BENCH_LLAMA_CPP_PYTHON"
# llama.cpp (so the built-in runtime) uses one thread per physical core by default;
# llama-cpp-python's server defaults to half the logical CPUs. The same count for both.
THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def stream_figures(provider) -> tuple[float, float]:
    """(seconds to the first token, tokens per second after it) for one answer."""
    begun = time.monotonic()
    first = None
    tokens = deltas = 0
    for event in provider.stream(PROMPT, model="m", options={"max_tokens": MAX_TOKENS}):
        if isinstance(event, TextDelta):
            first = first or time.monotonic()
            deltas += 1
        if isinstance(event, Usage):
            tokens = event.output_tokens
    end = time.monotonic()
    tokens = tokens or deltas  # a server that reports no usage streams one token a chunk
    first = first or end
    return first - begun, (tokens - 1) / (end - first) if end > first and tokens > 1 else 0.0


def builtin_rows() -> tuple[list, dict]:
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
    figures = {"cold": cold_first, "warm": warm_first, "rate": rate, "rss": child_rss / MB}
    return [
        ("built-in: first token, runtime not started", cold_first, "s", "", True),
        ("built-in: first token, runtime warm", warm_first, "s", "", True),
        ("built-in: tokens per second", rate, "tok/s", "", True),
        ("built-in: runtime RSS, model loaded", child_rss / MB, "MB", "", True),
        ("Hearth's RSS before / with the runtime (MB)", rss_before / MB, "MB", "", True),
        ("  ... with the model loaded in the child", rss_loaded / MB, "MB", "", True),
        ("  ... after the idle stop (3 s)", rss_after / MB, "MB", "", True),
        ("runtime gone after the idle stop", float(not alive), "yes", "1", not alive),
    ], figures


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def llama_cpp_python_rows() -> tuple[list, dict]:
    python = os.environ.get(LLAMA_CPP_PYTHON, "")
    if not python:
        print(f"  ({LLAMA_CPP_PYTHON} is not set: llama-cpp-python's rows are skipped)")
        return [(f"llama-cpp-python: skipped ({LLAMA_CPP_PYTHON} unset)", 0.0, "", "", True)], {}
    port = free_port()
    begun = time.monotonic()
    server = subprocess.Popen(
        [python, "-m", "llama_cpp.server", "--model", str(builtin_model_path()),
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
         "--n_threads", str(THREADS), "--n_threads_batch", str(THREADS)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and server.poll() is None:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        started = time.monotonic() - begun
        if server.poll() is not None or time.monotonic() >= deadline:
            row = (f"llama-cpp-python: its server did not start ({python})", 0.0, "", "", True)
            return [row], {}
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
    figures = {"cold": cold_first, "warm": warm_first, "rate": rate, "rss": rss / MB}
    return [
        ("llama-cpp-python: start to /v1/models (model loaded)", started, "s", "", True),
        ("llama-cpp-python: first token, first request", cold_first, "s", "", True),
        ("llama-cpp-python: first token, warm", warm_first, "s", "", True),
        ("llama-cpp-python: tokens per second", rate, "tok/s", "", True),
        ("llama-cpp-python: server RSS, model loaded", rss / MB, "MB", "", True),
    ], figures


def side_by_side(builtin: dict, other: dict) -> list:
    """The built-in runtime against llama-cpp-python, from the same run."""
    if not other:
        return []
    return [
        ("side by side, same GGUF and prompt: threads each",
         float(THREADS), "", "", True),
        ("  warm first token, built-in minus llama-cpp-python", builtin["warm"] - other["warm"],
         "s", "", True),
        ("  tokens per second, built-in ÷ llama-cpp-python",
         builtin["rate"] / other["rate"] if other["rate"] else 0.0, "x", "", True),
        ("  RSS with the model loaded, built-in ÷ llama-cpp-python",
         builtin["rss"] / other["rss"] if other["rss"] else 0.0, "x", "", True),
    ]  # fmt: skip


def main() -> list:
    start, rss = start_to_health()
    rows = [
        ("hearth serve start → /api/health (runtime installed)", start, "s", "≤ 0.5 s",
         start <= 0.5),
        ("  its RSS at idle", rss, "MB", "", True),
    ]  # fmt: skip
    ours, builtin = builtin_rows()
    theirs, other = llama_cpp_python_rows()
    return rows + ours + theirs + side_by_side(builtin, other)


if __name__ == "__main__":
    from bench.report import print_table

    sys.exit(0 if print_table("Built-in model", main()) else 1)
