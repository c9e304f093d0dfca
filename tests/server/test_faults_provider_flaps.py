"""The provider flaps 50 times in a row across turns, at the wire: a refused connection (a port
nobody listens on), HTTP 500, 502 and 529 with
their real error bodies (each retried until Hearth gives up), streams cut mid-answer, malformed
chunks, streams that end without a finish reason. Every turn ends run.failed with a sentence the
user can act on, the text that arrived is kept as a message, and the next turn works."""

from __future__ import annotations

import socket

import pytest

from tests.fakes import Failure, FakeAnthropicServer, FakeOpenAIServer, Reply
from tests.server.conftest import text_of
from tests.server.faults_support import events_until_end, integrity

TRIES = 4  # the first request and Hearth's 3 retries of a retryable error
DEFAULT_ANSWER = "Hello from the fake model."


def stream_faults(turn: int) -> list[Reply]:
    text = f"Turn {turn}: the answer begins, goes on for a while, and then"
    kind = turn % 3
    if kind == 0:
        return [Reply(text=text, chunks=4, cut_after=2)]
    if kind == 1:
        return [Reply(text=text, chunks=4, malformed=True, malformed_after=2)]
    return [Reply(text=text, chunks=4, no_finish=True)]


def closed_port_url(suffix: str) -> str:
    """A URL on a local port that refuses connections (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{suffix}"


def http_faults(status: int) -> list[Failure]:
    return [Failure(status=status, message=f"Upstream trouble ({status}).")] * TRIES


@pytest.mark.parametrize("wire", [FakeOpenAIServer, FakeAnthropicServer], ids=lambda w: w.wire)
def test_fifty_faults_in_a_row_then_a_turn_that_works(start_server, tmp_path, wire):
    with wire() as model:
        hearth = start_server(tmp_path / "data")
        added = hearth.client.post(
            "/api/providers",
            json={
                "name": "Flappy",
                "kind": model.wire,
                "base_url": model.base_url,
                "default_model": "fake-model",
                "api_key": "sk-flappy",
            },
        )
        assert added.status_code == 201, added.text
        session_id = hearth.new_session(model=f"{added.json()['id']}/fake-model")["id"]
        refusing = hearth.client.post(
            "/api/providers",
            json={
                "name": "Refusing",
                "kind": model.wire,
                "base_url": closed_port_url(model.url_suffix),
                "default_model": "fake-model",
                "api_key": "sk-refusing",
            },
        )
        assert refusing.status_code == 201, refusing.text
        refused = hearth.client.post(
            f"/api/sessions/{session_id}/runs",
            json={"content": "Question refused", "model": f"{refusing.json()['id']}/fake-model"},
        )
        assert refused.status_code == 202, refused.text
        end = events_until_end(hearth, refused.json()["run_id"])[-1]
        assert end.type == "run.failed" and "127.0.0.1" in end.data["error"], end.data
        assert end.data["error"][-1] in ".?" and "Traceback" not in end.data["error"]

        turns = [http_faults(500), http_faults(502), http_faults(529)]
        turns += [stream_faults(n) for n in range(50 - TRIES - sum(len(t) for t in turns))]
        errors = set()
        for number, faults in enumerate(turns):
            for fault in faults:
                model.push(fault)
            run_id = hearth.start_run(session_id, f"Question {number}")
            events = events_until_end(hearth, run_id)
            end = events[-1]
            assert end.type == "run.failed", (number, end)
            error = end.data["error"]
            assert error[-1] in ".?" and "Traceback" not in error, error
            assert "Flappy" in error or "fake" in error.lower() or "127.0.0.1" in error, error
            errors.add(error.split("(")[0])
            last = hearth.session(session_id)["messages"][-1]
            assert last["role"] == "assistant" and last["status"] == "error", (number, last)
            assert last["content"] == text_of(events), (number, last, error)
            if isinstance(faults[0], Reply):
                assert last["content"], (number, error)  # what arrived before the fault stays
                if faults[0].no_finish:
                    assert "cut short" in error and "kept" in error, error
        assert len(model.model_requests) == 50 - TRIES  # and TRIES refused connections

        good = hearth.start_run(session_id, "Are you back?")
        assert events_until_end(hearth, good)[-1].type == "run.completed"
        shown = hearth.session(session_id)["messages"]
        assert shown[-1]["content"] == DEFAULT_ANSWER
        assert [m["content"] for m in shown if m["role"] == "user"] == [
            "Question refused",
            *(f"Question {n}" for n in range(len(turns))),
            "Are you back?",
        ]
        assert integrity(hearth.data_dir) == "ok"
