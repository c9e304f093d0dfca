"""A long day of use against one real ``hearth serve`` under a 1,024 open-file limit.

Thousands of turns (a third of them calling a tool) and thousands of API calls over 5,000
sessions, with the server's open files, threads and memory read from /proc as it goes.
Nothing may grow with use.

Run: ``python bench/endurance_bench.py [turns] [api_calls]`` (defaults 1,000 and 1,000), or
``python bench/run.py``. The suite runs a short version (tests/server/test_endurance.py).
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402

from bench.report import Row, print_table  # noqa: E402
from tests.fakes import FakeOpenAIServer  # noqa: E402

OPEN_FILES = 1024
RSS_TARGET_MB = 60.0
SESSIONS = 5_000
WORDS = "river lamp copper garden violet anchor meadow signal harbor ember".split()


@dataclass
class Sample:
    fds: int
    threads: int
    rss_mb: float


def sample(pid: int) -> Sample:
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return Sample(fds, int(fields["Threads"]), int(fields["VmRSS"].split()[0]) / 1024)


def _limit_open_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))


class Server:
    """``hearth serve`` on a data dir, with the open-file limit of a desktop session."""

    def __init__(self, data_dir: str, fake: FakeOpenAIServer) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")},
            "PYTHONPATH": str(ROOT),
            "HEARTH_SECRETS_BACKEND": "file",
            "HEARTH_BASE_URL": fake.base_url,
            "HEARTH_MODEL": "fake-model",
            "HEARTH_API_KEY": "sk-fake",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "desktop.cli", "serve", "--port", "0", "--data-dir", data_dir],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=ROOT,
            preexec_fn=_limit_open_files,
        )
        line = self.process.stdout.readline().strip()
        if "/?token=" not in line:
            self.process.kill()
            raise RuntimeError("hearth serve did not start")
        self.url, token = line.split("/?token=")
        self.client = httpx.Client(
            base_url=self.url, timeout=60, headers={"Authorization": f"Bearer {token}"}
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(15)


def one_turn(server: Server, fake: FakeOpenAIServer, session_id: str, with_tool: bool) -> str:
    """Run one turn to its end; returns its terminal event type."""
    if with_tool:
        fake.reply(tool_calls=[{"name": "list_directory", "arguments": "{}"}])
        fake.reply(text="The folder is empty, as expected.", chunks=8)
    else:
        fake.reply(text="An answer of a few words, streamed in pieces.", chunks=12)
    started = server.client.post(f"/api/sessions/{session_id}/runs", json={"content": "go on"})
    started.raise_for_status()
    last = ""
    with server.client.stream("GET", f"/api/runs/{started.json()['run_id']}/events") as events:
        for line in events.iter_lines():
            if line.startswith("event: "):
                last = line[7:]
    return last


def turns(
    count: int, fake: FakeOpenAIServer, data_dir: str, checkpoints_at: tuple[int, ...] = (50,)
) -> dict[int, Sample]:
    """Run ``count`` turns through one server (20 sessions, every third turn calls a tool).

    Returns the server's samples after turn 1 and each of ``checkpoints_at`` and ``count``.
    Raises if a turn does not complete.
    """
    server = Server(data_dir, fake)
    samples: dict[int, Sample] = {}
    try:
        sessions = [
            server.client.post("/api/sessions", json={"title": f"day {i}"}).json()["id"]
            for i in range(20)
        ]
        for turn in range(1, count + 1):
            end = one_turn(server, fake, sessions[turn % len(sessions)], turn % 3 == 0)
            if end != "run.completed":
                raise RuntimeError(f"turn {turn} ended {end}")
            if turn in (1, count, *checkpoints_at):
                samples[turn] = sample(server.pid)
    finally:
        server.stop()
    return samples


def fill(data_dir: str, sessions: int = SESSIONS) -> None:
    """``sessions`` sessions of 4 messages each, written straight into a new store."""
    from core.store import Store

    rng = random.Random(5)
    with Store(data_dir) as store:
        for i in range(sessions):
            session = store.create_session(title=f"{rng.choice(WORDS)} notes {i}")
            for role in ("user", "assistant", "user", "assistant"):
                words = " ".join(rng.choice(WORDS) for _ in range(30))
                store.append_message(session["id"], {"role": role, "content": words})


def api_calls(
    count: int, fake: FakeOpenAIServer, data_dir: str, sessions: int = SESSIONS
) -> tuple[Sample, Sample]:
    """``count`` list / search / open calls over a filled store: samples before and after."""
    server = Server(data_dir, fake)
    rng = random.Random(9)
    try:
        ids = [s["id"] for s in server.client.get("/api/sessions?limit=500").json()["sessions"]]
        before = sample(server.pid)
        for call in range(count):
            kind = call % 3
            if kind == 0:
                offset = rng.randrange(0, max(1, sessions - 50))
                answer = server.client.get(f"/api/sessions?limit=50&offset={offset}")
            elif kind == 1:
                answer = server.client.get(f"/api/sessions?q={rng.choice(WORDS)}&limit=50")
            else:
                answer = server.client.get(f"/api/sessions/{rng.choice(ids)}")
            answer.raise_for_status()
        return before, sample(server.pid)
    finally:
        server.stop()


def main(turn_count: int = 1_000, call_count: int = 1_000) -> list[Row]:
    rows: list[Row] = []
    with FakeOpenAIServer() as fake:
        with tempfile.TemporaryDirectory() as data:
            started = time.perf_counter()
            samples = turns(turn_count, fake, data)
            took = time.perf_counter() - started
        first, mid, last = samples[1], samples[min(50, turn_count)], samples[turn_count]
        rows += [
            (
                f"turns completed (a third with a tool call), {OPEN_FILES} fds",
                turn_count,
                "turns",
                "",
                True,
            ),
            ("seconds per turn", took / turn_count, "s", "", True),
            ("open files after turn 1", first.fds, "fds", "", True),
            ("open files after turn 50", mid.fds, "fds", "", True),
            (
                f"open files after turn {turn_count}",
                last.fds,
                "fds",
                "≤ turn 50 + 2",
                last.fds <= mid.fds + 2,
            ),
            ("threads after turn 50", mid.threads, "", "", True),
            (
                f"threads after turn {turn_count}",
                last.threads,
                "",
                "≤ turn 50 + 2",
                last.threads <= mid.threads + 2,
            ),
            ("RSS after turn 50", mid.rss_mb, "MB", "", True),
            (
                f"RSS after turn {turn_count}",
                last.rss_mb,
                "MB",
                f"≤ {RSS_TARGET_MB:.0f} MB",
                last.rss_mb <= RSS_TARGET_MB,
            ),
        ]
        with tempfile.TemporaryDirectory() as data:
            fill(data)
            before, after = api_calls(call_count, fake, data)
        rows += [
            (f"RSS before API calls ({SESSIONS:,} sessions)", before.rss_mb, "MB", "", True),
            (
                f"RSS after {call_count:,} list/search/open calls",
                after.rss_mb,
                "MB",
                f"≤ {RSS_TARGET_MB:.0f} MB",
                after.rss_mb <= RSS_TARGET_MB,
            ),
            (
                f"open files after {call_count:,} API calls",
                after.fds,
                "fds",
                f"≤ {before.fds} + 2",
                after.fds <= before.fds + 2,
            ),
            (
                f"threads after {call_count:,} API calls",
                after.threads,
                "",
                f"≤ {before.threads} + 2",
                after.threads <= before.threads + 2,
            ),
        ]
    return rows


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    sys.exit(0 if print_table("Endurance (one hearth serve, a long day)", main(*args)) else 1)
