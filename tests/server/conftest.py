"""A real ``hearth serve`` subprocess, a fake model server it talks to, and an SSE reader."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 15.0
# Whatever the developer's shell holds for these must not leak into a test server.
HEARTH_ENV = (
    "HEARTH_BASE_URL",
    "HEARTH_API_KEY",
    "HEARTH_MODEL",
    "HEARTH_TOKEN",
    "HEARTH_DATA_DIR",
)


class HearthServer:
    """One ``hearth serve --port 0`` process; ``client`` carries its token."""

    def __init__(
        self,
        data_dir: Path,
        fake: FakeOpenAIServer | None,
        env: dict | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.data_dir = data_dir
        full_env = {
            **{k: v for k, v in os.environ.items() if k not in HEARTH_ENV},
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "HEARTH_SECRETS_BACKEND": "file",
        }
        if fake is not None:
            full_env.update(
                HEARTH_BASE_URL=fake.base_url, HEARTH_MODEL="fake-model", HEARTH_API_KEY="sk-fake"
            )
        full_env.update(env or {})
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "desktop.cli",
                "serve",
                "--port",
                "0",
                "--data-dir",
                str(data_dir),
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=full_env,
            cwd=ROOT,
        )
        self.ready_line = _read_line(self.process, START_TIMEOUT)
        if not self.ready_line:
            self.process.kill()
            stderr = self.process.stderr.read()
            raise RuntimeError(f"hearth serve did not start: {stderr}")
        self.url = self.ready_line.split("/?token=")[0]
        self.token = self.ready_line.split("/?token=")[1]
        self.port = int(self.url.rsplit(":", 1)[1])
        self.client = self.make_client()

    def make_client(self, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10.0, **kwargs)

    # --- API shortcuts --------------------------------------------------------

    def new_session(self, **body: Any) -> dict:
        answer = self.client.post("/api/sessions", json=body)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def start_run(self, session_id: str, content: str = "Hi", **body: Any) -> str:
        answer = self.client.post(
            f"/api/sessions/{session_id}/runs", json={"content": content, **body}
        )
        assert answer.status_code == 202, answer.text
        return answer.json()["run_id"]

    def session(self, session_id: str) -> dict:
        answer = self.client.get(f"/api/sessions/{session_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def events(self, run_id: str, after: int | None = None, **kwargs: Any) -> list[SSEEvent]:
        return list(sse_events(self.client, run_id, after, **kwargs))

    # --- stopping ---------------------------------------------------------------

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout)
        self.client.close()
        return code

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)
        self.client.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.stop()
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()


def _read_line(process: subprocess.Popen, timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout).strip()
    except queue.Empty:
        return ""


@dataclass
class SSEEvent:
    id: int
    type: str
    data: dict
    received: float = field(default_factory=time.monotonic)


def parse_sse(lines) -> Any:
    """Events from an iterator of text lines (comments skipped)."""
    current: dict[str, str] = {}
    for line in lines:
        if line == "":
            if "event" in current:
                yield SSEEvent(int(current["id"]), current["event"], json.loads(current["data"]))
            current = {}
        elif line.startswith(":"):
            continue
        else:
            name, _, value = line.partition(":")
            current[name] = value[1:] if value.startswith(" ") else value


def sse_events(
    client: httpx.Client,
    run_id: str,
    after: int | None = None,
    *,
    header: bool = True,
    limit: int | None = None,
    timeout: float = 20.0,
):
    """Yield the run's events (stop early after ``limit`` of them)."""
    headers, params = {}, {}
    if after is not None:
        if header:
            headers["Last-Event-ID"] = str(after)
        else:
            params["after"] = str(after)
    with client.stream(
        "GET", f"/api/runs/{run_id}/events", headers=headers, params=params, timeout=timeout
    ) as answer:
        assert answer.status_code == 200, answer.read()
        assert answer.headers["content-type"].startswith("text/event-stream")
        for count, event in enumerate(parse_sse(answer.iter_lines()), 1):
            yield event
            if limit is not None and count >= limit:
                return


def text_of(events: list[SSEEvent]) -> str:
    return "".join(e.data["text"] for e in events if e.type == "text.delta")


@pytest.fixture(scope="module")
def fake():
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture(scope="module")
def server(fake, tmp_path_factory):
    """One server shared by a module's tests (each test makes its own sessions)."""
    hearth = HearthServer(tmp_path_factory.mktemp("served"), fake)
    yield hearth
    hearth.close()


@pytest.fixture
def start_server(fake, tmp_path):
    """Start servers of one's own (for signals, crashes and restarts)."""
    started: list[HearthServer] = []

    def start(data_dir: Path | None = None, **kwargs: Any) -> HearthServer:
        hearth = HearthServer(data_dir or tmp_path / "data", kwargs.pop("fake", fake), **kwargs)
        started.append(hearth)
        return hearth

    yield start
    for hearth in started:
        if hearth.process.poll() is None:
            hearth.kill()
        hearth.close()


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02):
    """Poll ``predicate`` (a server-side state with no event to wait on) until truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(interval)


def signal_name(code: int) -> str:
    return signal.Signals(-code).name if code < 0 else str(code)
