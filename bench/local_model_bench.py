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
import statistics
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
ROUNDS = 5  # warm answers from each, alternating
IDLE_SECONDS = 20  # the built-in runtime's idle stop: longer than the other server's answer
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


def start_llama_cpp_python() -> tuple[subprocess.Popen, object, float] | str:
    """Its server on the built-in GGUF: (process, provider, seconds to /v1/models) or why not."""
    python = os.environ.get(LLAMA_CPP_PYTHON, "")
    if not python:
        return f"skipped ({LLAMA_CPP_PYTHON} unset)"
    port = free_port()
    begun = time.monotonic()
    server = subprocess.Popen(
        [python, "-m", "llama_cpp.server", "--model", str(builtin_model_path()),
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
         "--n_threads", str(THREADS), "--n_threads_batch", str(THREADS)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and server.poll() is None:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2)
            break
        except OSError:
            time.sleep(0.1)
    else:
        server.kill()
        server.wait(10)
        return f"its server did not start ({python})"
    provider = make_provider(
        ProviderConfig(kind="openai", base_url=f"http://127.0.0.1:{port}/v1", api_key="x")
    )
    return server, provider, time.monotonic() - begun


def warm_rounds(providers: list) -> list[tuple[float, float]]:
    """(median warm first token, median tokens/s) per provider, their requests alternating so
    that whatever else the machine does weighs on both alike."""
    samples: list[list[tuple[float, float]]] = [[] for _ in providers]
    for _ in range(ROUNDS):
        for i, provider in enumerate(providers):
            samples[i].append(stream_figures(provider))
    return [
        (statistics.median(f for f, _ in got), statistics.median(r for _, r in got))
        for got in samples
    ]


def runtime_rss(runtime: Runtime) -> float:
    """The runtime child's RSS now, or 0 if it has stopped."""
    try:
        return psutil.Process(runtime.pid).memory_info().rss / MB if runtime.pid else 0.0
    except psutil.NoSuchProcess:
        return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def model_rows() -> list:
    runtime = Runtime(idle_seconds=IDLE_SECONDS)
    uri = builtin_model_path().resolve().as_uri()
    builtin = LocalProvider(ProviderConfig(kind="local", base_url=uri), runtime)
    me = psutil.Process()
    rss_before = me.memory_info().rss
    cold, _ = stream_figures(builtin)  # starts the runtime: load + first token
    child = psutil.Process(runtime.pid)
    other = start_llama_cpp_python()
    if isinstance(other, str):
        print(f"  (llama-cpp-python: {other})")
        ((warm, rate),) = warm_rounds([builtin])
        child_rss = runtime_rss(runtime)
        theirs = [(f"llama-cpp-python: {other}", 0.0, "", "", True)]
    else:
        server, provider, started = other
        try:
            their_cold, _ = stream_figures(provider)
            (their_warm, their_rate), (warm, rate) = warm_rounds([provider, builtin])
            child_rss = runtime_rss(runtime)  # the built-in answered last: still loaded
            their_rss = psutil.Process(server.pid).memory_info().rss / MB
            provider.close()
        finally:
            server.terminate()
            server.wait(10)
    rss_loaded = me.memory_info().rss
    _, alive = psutil.wait_procs([child], timeout=IDLE_SECONDS + 30)
    rss_after = me.memory_info().rss
    builtin.close()
    ours = [
        ("built-in: first token, runtime not started", cold, "s", "", True),
        ("built-in: first token, warm (median)", warm, "s", "", True),
        ("built-in: tokens per second (median)", rate, "tok/s", "", True),
        ("built-in: runtime RSS, model loaded", child_rss, "MB", "", True),
        ("Hearth's RSS before the runtime", rss_before / MB, "MB", "", True),
        ("  ... with the model loaded in the child", rss_loaded / MB, "MB", "", True),
        (f"  ... after the idle stop ({IDLE_SECONDS} s)", rss_after / MB, "MB", "", True),
        ("runtime gone after the idle stop", float(not alive), "yes", "1", not alive),
    ]
    if isinstance(other, str):
        return ours + theirs
    return ours + [
        ("llama-cpp-python: start to /v1/models (model loaded)", started, "s", "", True),
        ("llama-cpp-python: first token, first request", their_cold, "s", "", True),
        ("llama-cpp-python: first token, warm (median)", their_warm, "s", "", True),
        ("llama-cpp-python: tokens per second (median)", their_rate, "tok/s", "", True),
        ("llama-cpp-python: server RSS, model loaded", their_rss, "MB", "", True),
        (f"side by side, {ROUNDS} alternating rounds: threads each", float(THREADS), "", "",
         True),
        ("  warm first token, built-in minus llama-cpp-python", warm - their_warm, "s", "",
         True),
        ("  tokens per second, built-in ÷ llama-cpp-python",
         rate / their_rate if their_rate else 0.0, "x", "", True),
        ("  RSS with the model loaded, built-in ÷ llama-cpp-python",
         child_rss / their_rss if their_rss else 0.0, "x", "", True),
    ]  # fmt: skip


def main() -> list:
    start, rss = start_to_health()
    rows = [
        ("hearth serve start → /api/health (runtime installed)", start, "s", "≤ 0.5 s",
         start <= 0.5),
        ("  its RSS at idle", rss, "MB", "", True),
    ]  # fmt: skip
    return rows + model_rows()


if __name__ == "__main__":
    from bench.report import print_table

    sys.exit(0 if print_table("Built-in model", main()) else 1)
