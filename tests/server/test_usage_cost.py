"""Usage per turn and per conversation: tokens in and out, tokens per second, and the cost
from the user's price table, through a real hearth serve."""

from __future__ import annotations

import pytest

from tests.fakes import FakeOpenAIServer


@pytest.fixture
def fake():
    with FakeOpenAIServer() as server:
        yield server


def test_each_turn_and_the_conversation_report_tokens_speed_and_cost(fake, start_server):
    hearth = start_server(fake=fake)
    answer = hearth.client.patch(
        "/api/settings", json={"prices": {"fake-model": {"input": 2.0, "output": 10.0}}}
    )
    assert answer.status_code == 200, answer.text
    session = hearth.new_session()
    hearth.client.patch(f"/api/sessions/{session['id']}", json={"tools_enabled": False})
    for _ in range(2):
        fake.reply(
            text="one two three four five six",
            chunks=6,
            delay=0.03,
            usage={"input_tokens": 1_000, "output_tokens": 500},
        )
        events = hearth.events(hearth.start_run(session["id"], "count to six"))
        assert events[-1].type == "run.completed"

    answers = [m for m in hearth.session(session["id"])["messages"] if m["role"] == "assistant"]
    usage = answers[-1]["usage"]
    assert usage["input_tokens"] == 1_000 and usage["output_tokens"] == 500
    assert usage["cost_usd"] == pytest.approx(0.007)  # 1,000 x $2/M + 500 x $10/M
    assert usage["output_tokens_per_s"] > 0
    spent = hearth.session(session["id"])["context"]["usage"]
    assert spent == {"input_tokens": 2_000, "output_tokens": 1_000, "cost_usd": 0.014}


def test_without_a_known_price_no_cost_is_made_up(fake, start_server):
    hearth = start_server(fake=fake)
    session = hearth.new_session()
    events = hearth.events(hearth.start_run(session["id"], "hi"))
    assert events[-1].type == "run.completed"
    answer = hearth.session(session["id"])["messages"][-1]
    assert "cost_usd" not in answer["usage"]
    assert hearth.session(session["id"])["context"]["usage"]["cost_usd"] is None
    bad = hearth.client.patch("/api/settings", json={"prices": {"m": {"input": "cheap"}}})
    assert bad.status_code == 400 and "per million tokens" in bad.json()["error"]["message"]


def test_a_local_server_says_its_window_at_the_first_turn(fake, start_server):
    fake.props = {"default_generation_settings": {"n_ctx": 8192}}  # llama.cpp's /props
    hearth = start_server(fake=fake)
    session = hearth.new_session()
    assert hearth.session(session["id"])["context"]["window_tokens"] is None  # not asked yet
    events = hearth.events(hearth.start_run(session["id"], "hi"))
    assert events[-1].type == "run.completed"
    assert hearth.session(session["id"])["context"]["window_tokens"] == 8192
    assert [r.path for r in fake.requests].count("/props") == 1
    hearth.events(hearth.start_run(session["id"], "again"))
    assert [r.path for r in fake.requests].count("/props") == 1  # asked once
