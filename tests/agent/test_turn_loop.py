"""The turn loop through both wire formats: answers, tool calls, limits, usage, errors."""

from __future__ import annotations

import pytest

from core.agent.providers import ProviderError
from core.agent.turn import MISSING_RESULT, model_history
from tests.agent.conftest_turn import Turn, roles_sent, tool_calls_sent, tool_results_sent
from tests.fakes import fixtures
from tests.fakes.scripts import Reply

any_fake = fixtures.any_fake


def test_plain_answer_streams_text_into_the_run_and_the_events(any_fake, tmp_path):
    any_fake.reply(text="Hello there, friend.", chunks=4)
    turn = Turn(any_fake, tmp_path)

    assert turn.run() == "completed"

    deltas = [data["text"] for data in turn.events.of("text.delta")]
    assert len(deltas) == 4
    assert "".join(deltas) == "Hello there, friend."
    assert turn.live.text == "Hello there, friend."
    assert turn.live.pending().steps == []
    assert turn.events.types() == ["text.delta"] * 4 + ["usage"]
    assert turn.live.usage == {"input_tokens": 11, "output_tokens": 7}
    # the system prompt and the history went to the model
    sent = any_fake.last_body
    if any_fake.wire == "openai":
        assert sent["messages"][0] == {"role": "system", "content": "You are a test."}
    else:
        assert sent["system"] == "You are a test."
    assert roles_sent(any_fake)[-1] == "user"


def test_tool_call_streamed_in_fragments_runs_and_the_model_sees_the_result(any_fake, tmp_path):
    (tmp_path / "notes.txt").write_text("the secret word is marmalade\n")
    any_fake.reply(
        text="Let me look.",
        tool_calls=[{"id": "call_1", "name": "read_file", "arguments": {"path": "notes.txt"}}],
        fragments=6,
    )
    any_fake.reply(text="The word is marmalade.")
    turn = Turn(any_fake, tmp_path)

    assert turn.run() == "completed"

    assert turn.events.types() == [
        "text.delta",
        "usage",
        "tool.started",
        "tool.completed",
        "text.delta",
        "usage",
    ]
    started = turn.events.of("tool.started")[0]
    assert started == {"call_id": "call_1", "name": "read_file", "arguments": {"path": "notes.txt"}}
    completed = turn.events.of("tool.completed")[0]
    assert completed["call_id"] == "call_1" and completed["ok"] is True
    assert "marmalade" in completed["output"]
    steps = turn.live.pending().steps
    assert [s["role"] for s in steps] == ["assistant", "tool"]
    assert steps[0]["content"] == "Let me look."
    assert steps[0]["tool_calls"] == [
        {"id": "call_1", "name": "read_file", "arguments": '{"path": "notes.txt"}'}
    ]
    assert steps[1]["tool_call_id"] == "call_1" and "marmalade" in steps[1]["content"]
    assert turn.live.text == "The word is marmalade."
    # the second request carried the call and its result
    assert tool_calls_sent(any_fake)[0]["arguments"] == {"path": "notes.txt"}
    assert "marmalade" in tool_results_sent(any_fake)["call_1"]
    # read-only: nobody was asked
    assert turn.events.of("approval.requested") == []


def test_two_calls_in_one_response_run_in_order(any_fake, tmp_path):
    (tmp_path / "a.txt").write_text("alpha\n")
    (tmp_path / "sub").mkdir()
    any_fake.reply(
        tool_calls=[
            {"id": "call_a", "name": "read_file", "arguments": {"path": "a.txt"}},
            {"id": "call_b", "name": "list_directory", "arguments": {"path": "."}},
        ]
    )
    any_fake.reply(text="Done.")
    turn = Turn(any_fake, tmp_path)

    assert turn.run() == "completed"

    tool_events = [(k, d["call_id"]) for k, d in turn.events.items if k.startswith("tool.")]
    assert tool_events == [
        ("tool.started", "call_a"),
        ("tool.completed", "call_a"),
        ("tool.started", "call_b"),
        ("tool.completed", "call_b"),
    ]
    steps = turn.live.pending().steps
    assert [(s["role"], s.get("tool_call_id")) for s in steps] == [
        ("assistant", None),
        ("tool", "call_a"),
        ("tool", "call_b"),
    ]
    results = tool_results_sent(any_fake)
    assert "alpha" in results["call_a"] and "sub" in results["call_b"]


def test_unknown_tool_gives_the_model_an_error_it_can_read(any_fake, tmp_path):
    any_fake.reply(tool_calls=[{"id": "call_x", "name": "format_disk", "arguments": {}}])
    any_fake.reply(text="Sorry.")
    turn = Turn(any_fake, tmp_path)

    assert turn.run() == "completed"

    completed = turn.events.of("tool.completed")[0]
    assert completed["ok"] is False
    assert "no tool called 'format_disk'" in completed["output"]
    assert "read_file" in completed["output"]  # the tools it could use
    assert "no tool called" in tool_results_sent(any_fake)["call_x"]
    failed = turn.live.pending().steps[-1]  # the stored tool message says it failed
    assert (failed["role"], failed["status"]) == ("tool", "error")


def test_arguments_that_are_not_json_give_an_error_and_run_nothing(any_fake, tmp_path):
    any_fake.reply(
        tool_calls=[
            {"id": "call_j", "name": "write_file", "arguments": '{"path": "x.txt", "content": '}
        ]
    )
    any_fake.reply(text="Oops.")
    turn = Turn(any_fake, tmp_path)

    assert turn.run() == "completed"

    started = turn.events.of("tool.started")[0]
    assert started["arguments"] == '{"path": "x.txt", "content": '  # shown as it came
    completed = turn.events.of("tool.completed")[0]
    assert completed["ok"] is False and "not valid JSON" in completed["output"]
    assert turn.events.of("approval.requested") == []  # nothing to approve
    assert not (tmp_path / "x.txt").exists()
    assert "not valid JSON" in tool_results_sent(any_fake)["call_j"]


def test_arguments_that_break_the_schema_are_refused_before_asking(any_fake, tmp_path):
    any_fake.reply(tool_calls=[{"id": "call_s", "name": "write_file", "arguments": {"path": 3}}])
    any_fake.reply(text="Oops.")
    turn = Turn(any_fake, tmp_path)

    assert turn.run() == "completed"

    assert turn.events.of("approval.requested") == []
    assert "missing required argument: content" in tool_results_sent(any_fake)["call_s"]


def test_step_limit_stops_the_turn_with_a_clear_note(any_fake, tmp_path):
    any_fake.default_reply = Reply(
        text="Again.", tool_calls=[{"name": "list_directory", "arguments": {}}]
    )
    turn = Turn(any_fake, tmp_path, max_steps=3)

    assert turn.run() == "completed"

    assert len(any_fake.model_requests) == 3
    assert len(turn.events.of("tool.completed")) == 3
    assert turn.live.text.startswith("[Hearth stopped the agent after 3 model calls")
    assert turn.events.of("text.delta")[-1]["text"] == turn.live.text
    steps = turn.live.pending().steps
    assert [s["role"] for s in steps] == ["assistant", "tool"] * 3


def test_usage_is_summed_over_the_turn(any_fake, tmp_path):
    any_fake.reply(
        tool_calls=[{"name": "list_directory", "arguments": {}}],
        usage={"input_tokens": 100, "output_tokens": 10},
    )
    any_fake.reply(text="Done.", usage={"input_tokens": 130, "output_tokens": 25})
    turn = Turn(any_fake, tmp_path)

    assert turn.run() == "completed"

    usage = turn.events.of("usage")
    assert usage[0] == {"input_tokens": 100, "output_tokens": 10, "last_input_tokens": 100}
    assert usage[1] == {"input_tokens": 230, "output_tokens": 35, "last_input_tokens": 130}
    assert turn.live.usage == {"input_tokens": 230, "output_tokens": 35}


def test_reasoning_is_kept_apart_from_the_answer(any_fake, tmp_path):
    any_fake.reply(reasoning="First, think hard.", text="Forty-two.", chunks=2)
    turn = Turn(any_fake, tmp_path)

    assert turn.run() == "completed"

    assert "".join(d["text"] for d in turn.events.of("reasoning.delta")) == "First, think hard."
    assert turn.events.types().index("reasoning.delta") < turn.events.types().index("text.delta")
    assert turn.live.pending().reasoning == "First, think hard."
    assert turn.live.text == "Forty-two."


def test_provider_error_mid_turn_raises_and_keeps_what_was_produced(any_fake, tmp_path):
    any_fake.reply(
        text="Looking.", tool_calls=[{"id": "call_1", "name": "list_directory", "arguments": {}}]
    )
    any_fake.reply(text="The folder holds nothing at all.", chunks=4, cut_after=2)
    turn = Turn(any_fake, tmp_path)

    with pytest.raises(ProviderError) as caught:
        turn.run()

    assert caught.value.kind == "network"
    assert len(any_fake.model_requests) == 2  # not sent again after partial output
    pending = turn.live.pending()
    assert [s["role"] for s in pending.steps] == ["assistant", "tool"]
    assert pending.text and "The folder holds nothing at all.".startswith(pending.text)
    assert "".join(d["text"] for d in turn.events.of("text.delta")) == "Looking." + pending.text


def test_answer_cut_by_the_output_limit_says_so(any_fake, tmp_path):
    finish = "length" if any_fake.wire == "openai" else "max_tokens"
    any_fake.reply(text="The answer begins", finish=finish)
    turn = Turn(any_fake, tmp_path)

    assert turn.run() == "completed"

    assert turn.live.text.startswith("The answer begins\n\n[The answer was cut off")


def test_interrupted_history_is_sent_without_orphans_or_empty_messages(any_fake, tmp_path):
    history = [
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": "Half an ans", "status": "interrupted"},
        {"role": "user", "content": "Second question"},
        {"role": "assistant", "content": "", "status": "cancelled"},
        {
            "role": "assistant",
            "content": "",
            "status": "complete",
            "tool_calls": [
                {"id": "c1", "name": "list_directory", "arguments": "{}"},
                {"id": "c2", "name": "read_file", "arguments": '{"path": "a"}'},
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "name": "list_directory", "content": "(empty)"},
        {"role": "tool", "tool_call_id": "ghost", "name": "read_file", "content": "orphan"},
        {"role": "user", "content": "Third question"},
    ]
    any_fake.reply(text="Fine.")
    turn = Turn(any_fake, tmp_path, history=history)

    assert turn.run() == "completed"

    results = tool_results_sent(any_fake)
    assert results == {"c1": "(empty)", "c2": MISSING_RESULT}
    body = str(any_fake.last_body)
    assert "Half an ans" in body and "orphan" not in body


def test_model_history_drops_empty_messages_and_fills_missing_results():
    history = [
        {"role": "user", "content": "Hi", "id": "m1", "status": "complete"},
        {"role": "tool", "tool_call_id": "early", "name": "x", "content": "orphan"},
        {"role": "assistant", "content": "  ", "status": "cancelled"},
        {
            "role": "assistant",
            "content": "Partial",
            "status": "interrupted",
            "tool_calls": [{"id": "c1", "name": "run_command", "arguments": '{"command": "ls"}'}],
        },
        {"role": "user", "content": "Go on"},
    ]
    assert model_history(history) == [
        {"role": "user", "content": "Hi"},
        {
            "role": "assistant",
            "content": "Partial",
            "tool_calls": [{"id": "c1", "name": "run_command", "arguments": '{"command": "ls"}'}],
        },
        {"role": "tool", "tool_call_id": "c1", "name": "run_command", "content": MISSING_RESULT},
        {"role": "user", "content": "Go on"},
    ]
