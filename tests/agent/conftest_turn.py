"""Helpers for the turn-loop tests: an event recorder, a turn in a thread, request readers."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from core.agent.approvals import ApprovalBroker
from core.agent.tools import ToolContext, default_tools
from core.agent.turn import run_turn
from core.cancel import CancelToken
from core.runs.live_run import LiveRun
from tests.fakes import FakeModelServer
from tests.fakes.fixtures import provider_for

WAIT = 5.0  # seconds a test waits for something that should happen at once


class Events:
    """``emit`` for tests: records (type, data) in order; tests wait on what they need."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict]] = []
        self._changed = threading.Condition()

    def __call__(self, kind: str, data: dict) -> None:
        with self._changed:
            self.items.append((kind, data))
            self._changed.notify_all()

    def types(self) -> list[str]:
        with self._changed:
            return [kind for kind, _ in self.items]

    def of(self, kind: str) -> list[dict]:
        with self._changed:
            return [data for k, data in self.items if k == kind]

    def wait_for(self, kind: str, count: int = 1, timeout: float = WAIT) -> dict:
        """The ``count``-th event of ``kind``, once it has been emitted."""
        with self._changed:
            ok = self._changed.wait_for(lambda: len(self.of_locked(kind)) >= count, timeout)
            assert ok, f"no {kind} event #{count} within {timeout} s; got {self.types_locked()}"
            return self.of_locked(kind)[count - 1]

    def of_locked(self, kind: str) -> list[dict]:
        return [data for k, data in self.items if k == kind]

    def types_locked(self) -> list[str]:
        return [kind for kind, _ in self.items]


class Turn:
    """One run_turn over a fake server and a temp workspace, run here or in a thread."""

    def __init__(
        self,
        fake: FakeModelServer,
        workspace: Path,
        *,
        history: list[dict] | None = None,
        approvals: ApprovalBroker | None = None,
        max_steps: int = 50,
        session_id: str = "session-1",
        run_id: str = "run-1",
    ) -> None:
        self.fake = fake
        self.workspace = workspace
        self.history = history if history is not None else [{"role": "user", "content": "Hi"}]
        self.approvals = approvals or ApprovalBroker()
        self.max_steps = max_steps
        self.cancel = CancelToken()
        self.events = Events()
        self.live = LiveRun(run_id, session_id)
        self.provider = provider_for(fake)
        self.result: str | None = None
        self.error: BaseException | None = None
        self.ended_at: float | None = None
        self._thread: threading.Thread | None = None

    def run(self) -> str:
        return run_turn(
            self.live,
            provider=self.provider,
            model="fake-model",
            history=self.history,
            system="You are a test.",
            tools=default_tools(),
            tool_context=ToolContext(workspace=self.workspace, cancel=self.cancel),
            approvals=self.approvals,
            emit=self.events,
            cancel=self.cancel,
            max_steps=self.max_steps,
        )

    def start(self) -> Turn:
        def work() -> None:
            try:
                self.result = self.run()
            except BaseException as exc:  # handed to the test by join()
                self.error = exc
            finally:
                self.ended_at = time.monotonic()

        self._thread = threading.Thread(target=work, name="test-turn", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout: float = WAIT) -> str:
        assert self._thread is not None
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"the turn did not end within {timeout} s"
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result

    def cancel_and_time(self, timeout: float = 3.0) -> tuple[str, float]:
        """Set cancel; (the turn's result, seconds until run_turn returned)."""
        started = time.monotonic()
        self.cancel.set()
        result = self.join(timeout)
        assert self.ended_at is not None
        return result, self.ended_at - started


def tool_results_sent(fake: FakeModelServer, request_index: int = -1) -> dict[str, str]:
    """{call id: result text} of the tool results in one recorded model request."""
    body = fake.model_requests[request_index].json
    results: dict[str, str] = {}
    for message in body["messages"]:
        if fake.wire == "openai" and message["role"] == "tool":
            results[message["tool_call_id"]] = message["content"]
        elif fake.wire == "anthropic" and isinstance(message["content"], list):
            for block in message["content"]:
                if block.get("type") == "tool_result":
                    content = block["content"]
                    if isinstance(content, list):
                        content = "".join(part.get("text", "") for part in content)
                    results[block["tool_use_id"]] = content
    return results


def tool_calls_sent(fake: FakeModelServer, request_index: int = -1) -> list[dict[str, Any]]:
    """[{"id", "name", "arguments" (a dict)}] of the assistant tool calls in one request."""
    body = fake.model_requests[request_index].json
    calls = []
    for message in body["messages"]:
        if message["role"] != "assistant":
            continue
        if fake.wire == "openai":
            for call in message.get("tool_calls") or []:
                function = call["function"]
                calls.append(
                    {
                        "id": call["id"],
                        "name": function["name"],
                        "arguments": json.loads(function["arguments"]),
                    }
                )
        elif isinstance(message["content"], list):
            for block in message["content"]:
                if block.get("type") == "tool_use":
                    calls.append(
                        {"id": block["id"], "name": block["name"], "arguments": block["input"]}
                    )
    return calls


def roles_sent(fake: FakeModelServer, request_index: int = -1) -> list[str]:
    return [m["role"] for m in fake.model_requests[request_index].json["messages"]]
