"""Server benchmarks (issue 4's targets) against real ``hearth serve`` processes and the fake
OpenAI-compatible model server.

Run: ``python bench/server_bench.py`` (or ``python bench/run.py`` for every benchmark).
``main()`` returns rows ``(measure, value, unit, target, passed)``.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psutil  # noqa: E402

from bench.report import print_table  # noqa: E402
from tests.fakes import FakeOpenAIServer  # noqa: E402
from tests.fakes import server as fake_server  # noqa: E402

STARTS = 5
DELTAS = 20_000
PARALLEL_RUNS, PARALLEL_CHUNKS, PARALLEL_DELAY = 20, 100, 0.02
TOKEN = re.compile(rb"<(\d\d)\.(\d{4})>")


class Served:
    def __init__(self, data_dir: str, fake: FakeOpenAIServer | None = None) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if fake is not None:
            env.update(
                HEARTH_BASE_URL=fake.base_url, HEARTH_MODEL="fake-model", HEARTH_API_KEY="sk-fake"
            )
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "desktop.cli", "serve", "--port", "0", "--data-dir", data_dir],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=ROOT,
        )
        line = self.process.stdout.readline().strip()
        self.url, self.token = line.split("/?token=")
        self.client = httpx.Client(
            base_url=self.url, timeout=60, headers={"Authorization": f"Bearer {self.token}"}
        )

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(10)


def bare_python_import_bottle() -> float:
    times = []
    for _ in range(STARTS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import bottle"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def start_to_health() -> tuple[float, float]:
    """Median seconds from spawning to the first /api/health 200, and idle RSS (MB)."""
    times, rss = [], []
    for _ in range(STARTS):
        with tempfile.TemporaryDirectory() as data:
            served = Served(data)
            while True:
                try:
                    if httpx.get(served.url + "/api/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
            times.append(time.perf_counter() - served.started)
            time.sleep(1.0)
            rss.append(psutil.Process(served.process.pid).memory_info().rss / 2**20)
            served.stop()
    return statistics.median(times), statistics.median(rss)


def read_events(client: httpx.Client, run_id: str, on_event=None) -> list[str]:
    types = []
    with client.stream("GET", f"/api/runs/{run_id}/events") as answer:
        kind = None
        for line in answer.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
                types.append(kind)
            elif line.startswith("data: ") and on_event is not None:
                on_event(kind, line[6:])
    return types


def deltas_through_the_server(fake: FakeOpenAIServer, served: Served) -> float:
    text = "x" * DELTAS
    session = served.client.post("/api/sessions", json={}).json()
    fake.reply(text="warm up")  # the first run imports the SDK; not what is measured here
    warm = served.client.post(f"/api/sessions/{session['id']}/runs", json={"content": "hi"})
    read_events(served.client, warm.json()["run_id"])
    fake.reply(text=text, chunks=DELTAS)
    start = time.perf_counter()
    run = served.client.post(f"/api/sessions/{session['id']}/runs", json={"content": "go"})
    types = read_events(served.client, run.json()["run_id"])
    elapsed = time.perf_counter() - start
    assert types[-1] == "run.completed", types[-5:]
    return elapsed


def deltas_through_the_bare_sdk(fake: FakeOpenAIServer) -> float:
    import openai

    client = openai.OpenAI(base_url=fake.base_url, api_key="sk-fake")
    fake.reply(text="x" * DELTAS, chunks=DELTAS)
    start = time.perf_counter()
    stream = client.chat.completions.create(
        model="fake-model", messages=[{"role": "user", "content": "go"}], stream=True
    )
    received = sum(len(c.choices[0].delta.content or "") for c in stream if c.choices)
    elapsed = time.perf_counter() - start
    client.close()
    assert received == DELTAS
    return elapsed


def parallel_runs(fake: FakeOpenAIServer, served: Served) -> tuple[int, float]:
    """Errors and p95 delay (ms) from the fake writing a piece to an SSE client reading it."""
    sent: dict[tuple[int, int], float] = {}
    original = fake_server._Handler.write_chunk

    def timed_write(handler, data: bytes) -> bool:
        ok = original(handler, data)
        now = time.perf_counter()
        for match in TOKEN.finditer(data):
            sent[(int(match[1]), int(match[2]))] = now
        return ok

    fake_server._Handler.write_chunk = timed_write
    delays: list[float] = []
    errors = []
    lock = threading.Lock()

    def one(index: int, session_id: str) -> None:
        def on_event(kind: str, data: str) -> None:
            now = time.perf_counter()
            if kind != "text.delta":
                return
            found = [sent.get((int(m[1]), int(m[2]))) for m in TOKEN.finditer(data.encode())]
            with lock:
                delays.extend(now - t for t in found if t is not None)

        try:
            answer = served.client.post(f"/api/sessions/{session_id}/runs", json={"content": "go"})
            types = read_events(served.client, answer.json()["run_id"], on_event)
            if types[-1] != "run.completed":
                errors.append(types[-1])
        except Exception as exc:  # counted, not raised: the figure is the error count
            errors.append(repr(exc))

    try:
        sessions = [
            served.client.post("/api/sessions", json={}).json()["id"] for _ in range(PARALLEL_RUNS)
        ]
        for index in range(PARALLEL_RUNS):
            text = "".join(f"<{index:02d}.{i:04d}>" for i in range(PARALLEL_CHUNKS))
            fake.reply(text=text, chunks=PARALLEL_CHUNKS, delay=PARALLEL_DELAY)
        threads = [threading.Thread(target=one, args=(i, s)) for i, s in enumerate(sessions)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        fake_server._Handler.write_chunk = original
    expected = PARALLEL_RUNS * PARALLEL_CHUNKS
    if len(delays) < expected:
        errors.append(f"{expected - len(delays)} pieces never timed")
    p95 = statistics.quantiles(delays, n=20)[18] * 1000 if len(delays) > 20 else float("inf")
    return len(errors), p95


def main() -> list[tuple[str, float, str, str, bool]]:
    bare = bare_python_import_bottle()
    start, rss = start_to_health()
    with FakeOpenAIServer() as fake, tempfile.TemporaryDirectory() as data:
        served = Served(data, fake)
        try:
            through_server = deltas_through_the_server(fake, served)
            through_sdk = deltas_through_the_bare_sdk(fake)
            errors, p95 = parallel_runs(fake, served)
        finally:
            served.stop()
    ratio = through_server / through_sdk
    return [
        ("start → first /api/health 200", start, "s", "≤ 0.5 s", start <= 0.5),
        ("  bare `python -c 'import bottle'`", bare, "s", "", True),
        ("  ratio to the bare start", start / bare, "×", "", True),
        ("idle RSS after start", rss, "MB", "≤ 60 MB", rss <= 60),
        (f"{DELTAS:,} deltas to an SSE client", through_server, "s", "", True),
        ("  same stream, bare openai SDK", through_sdk, "s", "", True),
        ("  ratio server / bare SDK", ratio, "×", "≤ 1.5", ratio <= 1.5),
        (f"{PARALLEL_RUNS} runs at once: errors", errors, "", "0", errors == 0),
        (f"{PARALLEL_RUNS} runs at once: p95 event delay", p95, "ms", "≤ 100 ms", p95 <= 100),
    ]


if __name__ == "__main__":
    sys.exit(0 if print_table("Server (hearth serve)", main()) else 1)
