"""A long agent conversation against a model whose window the fake server enforces at the wire:
it keeps working to the end, compacting as it goes, and nothing it said is lost."""

from __future__ import annotations

import json

import pytest

from tests.fakes import FakeAnthropicServer, FakeOpenAIServer
from tests.fakes.scripts import Reply

WINDOW = 12_000
BIG = "".join(f"line {n}: the quick brown fox jumps over the lazy dog\n" for n in range(100))


def agent_like(request: dict) -> Reply:
    """Read a big file for each question, then answer; summarise when asked to."""
    system = request.get("system") or ""
    if not isinstance(system, str):
        system = json.dumps(system)
    messages = request.get("messages") or []
    if "compress conversations" in system + json.dumps(messages[:1]):
        return Reply(text="Summary: the user asked about big.txt many times; it was read.")
    last = messages[-1]
    if last["role"] == "tool" or (
        isinstance(last.get("content"), list)
        and any(part.get("type") == "tool_result" for part in last["content"])
    ):
        return Reply(text="I read big.txt; it has 100 lines about a fox.")
    return Reply(tool_calls=[{"name": "read_file", "arguments": json.dumps({"path": "big.txt"})}])


@pytest.mark.parametrize("wire", [FakeOpenAIServer, FakeAnthropicServer])
def test_two_hundred_turns_with_big_tool_outputs_fit_the_window(wire, start_server, tmp_path):
    with wire() as fake:
        fake.window_tokens = WINDOW
        fake.responder = agent_like
        hearth = start_server(fake=fake)
        answer = hearth.client.patch(
            "/api/settings", json={"context_windows": {"fake-model": WINDOW}}
        )
        assert answer.status_code == 200, answer.text
        workspace = tmp_path / "work"
        workspace.mkdir()
        (workspace / "big.txt").write_text(BIG)
        body = {}
        if wire is FakeAnthropicServer:
            provider = hearth.client.post(
                "/api/providers",
                json={"name": "Claude", "kind": "anthropic", "base_url": fake.base_url},
            ).json()
            body = {"model": f"{provider['id']}/fake-model"}
        session = hearth.new_session(workspace=str(workspace), **body)

        for turn in range(200):
            run_id = hearth.start_run(session["id"], f"Turn {turn}: read big.txt (zebra{turn})")
            events = hearth.events(run_id)
            assert events[-1].type == "run.completed", (turn, events[-1].data)

        shown = hearth.session(session["id"])
        summaries = [m for m in shown["messages"] if m["role"] == "summary"]
        assert summaries and all(m["status"] == "complete" for m in summaries)
        assert len([m for m in shown["messages"] if m["role"] == "user"]) == 200
        assert shown["context"]["window_tokens"] == WINDOW
        assert shown["context"]["used_tokens"] < WINDOW
        # Every request the fake answered fit; any it refused was retried after a compaction.
        refused = [n for n in fake.counted if n > WINDOW]
        assert len(refused) <= 2, refused
        for turn in (0, 1, 57, 150, 199):
            found = hearth.client.get("/api/sessions", params={"q": f"zebra{turn}"}).json()
            assert [s["id"] for s in found["sessions"]] == [session["id"]], turn
