"""Behaviour both providers share, each run against its own fake wire server."""

import threading
import time

import pytest

from core.agent.providers import (
    Finish,
    ProviderError,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    Usage,
)
from core.cancel import CancelToken
from tests.fakes import fixtures

any_fake = fixtures.any_fake
provider_for = fixtures.provider_for

HELLO = [{"role": "user", "content": "Hi"}]
TOOLS = [
    {
        "name": "read_file",
        "description": "Read a file of the workspace.",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
    }
]


def run(provider, messages=HELLO, **kwargs):
    """(events, error): everything streamed before the call ended, and how it ended."""
    events = []
    try:
        for event in provider.stream(messages, model="fake-model", **kwargs):
            events.append(event)
    except ProviderError as err:
        return events, err
    return events, None


def text_of(events) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def test_plain_answer_streams_in_chunks(any_fake):
    any_fake.reply(text="Hello there, friend.", chunks=5)
    events, error = run(provider_for(any_fake))
    assert error is None
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) == 5
    assert text_of(events) == "Hello there, friend."
    assert events[-1] == Finish("stop")


def test_tool_call_assembled_from_fragments(any_fake):
    arguments = '{"path": "notes/todo.md"}'
    any_fake.reply(
        tool_calls=[{"id": "call_1", "name": "read_file", "arguments": arguments}], fragments=4
    )
    events, error = run(provider_for(any_fake), tools=TOOLS)
    assert error is None
    assert [e for e in events if isinstance(e, ToolCall)] == [
        ToolCall("call_1", "read_file", arguments)
    ]
    assert events[-1] == Finish("tool_calls")


def test_two_tool_calls_in_one_answer(any_fake):
    any_fake.reply(
        text="Let me look.",
        tool_calls=[
            {"id": "call_a", "name": "read_file", "arguments": {"path": "a.txt"}},
            {"id": "call_b", "name": "read_file", "arguments": {"path": "b.txt"}},
        ],
        fragments=3,
    )
    events, error = run(provider_for(any_fake), tools=TOOLS)
    assert error is None
    assert text_of(events) == "Let me look."
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert [(c.id, c.arguments) for c in calls] == [
        ("call_a", '{"path": "a.txt"}'),
        ("call_b", '{"path": "b.txt"}'),
    ]


def test_usage_is_reported_before_finish(any_fake):
    any_fake.reply(text="ok", usage={"input_tokens": 120, "output_tokens": 33})
    events, _ = run(provider_for(any_fake))
    usage = [e for e in events if isinstance(e, Usage)]
    assert [(u.input_tokens, u.output_tokens) for u in usage] == [(120, 33)]
    assert usage[0].raw
    assert isinstance(events[-2], Usage) and isinstance(events[-1], Finish)


def test_reasoning_streams_apart_from_text(any_fake):
    any_fake.reply(reasoning="The user greets me.", text="Hello!", chunks=3)
    events, error = run(provider_for(any_fake))
    assert error is None
    reasoning = [e for e in events if isinstance(e, ReasoningDelta)]
    assert len(reasoning) == 3
    assert "".join(e.text for e in reasoning) == "The user greets me."
    assert text_of(events) == "Hello!"
    first_text = next(i for i, e in enumerate(events) if isinstance(e, TextDelta))
    assert all(isinstance(e, ReasoningDelta) for e in events[:first_text])


def test_401_is_an_auth_error_without_the_key(any_fake):
    any_fake.error(status=401, message="Invalid key sk-secret-123")
    _, error = run(provider_for(any_fake))
    assert error.kind == "auth" and error.status == 401
    assert "Fake rejected the API key" in error.message and "Settings" in error.message
    assert "sk-secret-123" not in error.message
    assert len(any_fake.model_requests) == 1


def test_404_names_the_model_and_the_server(any_fake):
    any_fake.error(status=404, message="model 'fake-model' not found")
    _, error = run(provider_for(any_fake))
    assert error.kind == "model_not_found" and error.status == 404
    assert "'fake-model'" in error.message and any_fake.base_url in error.message
    assert len(any_fake.model_requests) == 1


def test_429_is_retried_then_succeeds(any_fake):
    any_fake.error(status=429, headers={"retry-after": "0"})
    any_fake.error(status=429, headers={"retry-after": "0"})
    any_fake.reply(text="Finally.")
    events, error = run(provider_for(any_fake))
    assert error is None and text_of(events) == "Finally."
    assert len(any_fake.model_requests) == 3


def test_429_exhausted_is_rate_limited_with_retry_after(any_fake):
    for _ in range(4):
        any_fake.error(status=429, headers={"retry-after": "0.02"})
    _, error = run(provider_for(any_fake))
    assert error.kind == "rate_limited" and error.status == 429
    assert error.retry_after == pytest.approx(0.02)
    assert len(any_fake.model_requests) == 4  # the first try and three retries


def test_retry_after_longer_than_the_cap_is_not_waited_for(any_fake):
    any_fake.error(status=429, headers={"retry-after": "120"})
    started = time.monotonic()
    _, error = run(provider_for(any_fake, max_retry_wait=1.0))
    assert time.monotonic() - started < 1.0
    assert error.kind == "rate_limited" and error.retry_after == 120
    assert "120 s" in error.message


def test_500_is_retried(any_fake):
    any_fake.error(status=500)
    any_fake.reply(text="Recovered.")
    events, error = run(provider_for(any_fake))
    assert error is None and text_of(events) == "Recovered."
    assert len(any_fake.model_requests) == 2


def test_stream_cut_midway_is_not_retried(any_fake):
    any_fake.reply(text="abcdefgh", chunks=8, cut_after=3)
    events, error = run(provider_for(any_fake))
    assert text_of(events) == "abc"
    assert error.kind == "network"
    assert len(any_fake.model_requests) == 1


def test_malformed_chunk_is_a_malformed_stream(any_fake):
    any_fake.reply(text="abcdef", chunks=6, malformed=True, malformed_after=2)
    events, error = run(provider_for(any_fake))
    assert text_of(events) == "ab"
    assert error.kind == "malformed_stream"
    assert len(any_fake.model_requests) == 1


def test_connection_refused_is_a_network_error_with_a_useful_sentence(any_fake):
    any_fake.close()  # the port is free again: nobody listens there now
    provider = provider_for(any_fake, max_retries=1)
    _, error = run(provider)
    assert error.kind == "network"
    assert error.message == (
        f"Could not reach {any_fake.base_url}: connection refused. Is the server running?"
    )


def _cancel_once_stalled(reply, first_delta: threading.Event, cancel: threading.Event, log):
    def cancel_it():
        reply.stalled.wait(5)
        first_delta.wait(5)
        log.append(time.monotonic())
        cancel.set()

    return threading.Thread(target=cancel_it, name="test-canceller")


@pytest.mark.parametrize("before_headers", [False, True], ids=["mid-stream", "before-headers"])
def test_cancel_while_the_server_stalls_ends_within_a_second(any_fake, before_headers):
    provider = provider_for(any_fake)
    threads_before = threading.active_count()
    release = threading.Event()
    reply = any_fake.reply(
        text="abcdef", chunks=6, hold=release, hold_after=1, hold_before_headers=before_headers
    )
    cancel, first_delta, cancelled_at = CancelToken(), threading.Event(), []
    if before_headers:
        first_delta.set()
    canceller = _cancel_once_stalled(reply, first_delta, cancel, cancelled_at)
    canceller.start()
    events = []
    with pytest.raises(ProviderError) as caught:
        for event in provider.stream(HELLO, model="fake-model", cancel=cancel):
            events.append(event)
            first_delta.set()
    ended_at = time.monotonic()
    canceller.join()
    try:
        assert caught.value.kind == "cancelled"
        assert ended_at - cancelled_at[0] < 1.0
        assert text_of(events) == ("" if before_headers else "a")
        assert any_fake.model_requests[0].disconnected.wait(2)
        assert any_fake.wait_idle(2)
        assert threading.active_count() == threads_before
        assert len(any_fake.model_requests) == 1
    finally:
        release.set()


def test_cancel_before_the_call_sends_nothing(any_fake):
    cancel = CancelToken()
    cancel.set()
    _, error = run(provider_for(any_fake), cancel=cancel)
    assert error.kind == "cancelled"
    assert any_fake.model_requests == []


def test_a_finished_call_leaves_no_thread_behind(any_fake):
    provider = provider_for(any_fake)
    before = threading.active_count()
    events, error = run(provider, cancel=CancelToken())
    assert error is None and events
    assert any_fake.wait_idle(2)
    assert threading.active_count() == before


def test_list_models(any_fake):
    any_fake.models = ["big-model", "small-model"]
    assert sorted(provider_for(any_fake).list_models()) == ["big-model", "small-model"]
    assert any_fake.requests[-1].method == "GET"
    assert any_fake.requests[-1].path == "/v1/models"


def test_default_reply_answers_an_unscripted_request(any_fake):
    events, error = run(provider_for(any_fake))
    assert error is None
    assert text_of(events) == "Hello from the fake model."


def test_leaving_the_loop_early_closes_the_call(any_fake):
    provider = provider_for(any_fake)
    before = threading.active_count()
    release = threading.Event()
    any_fake.reply(text="abcdef", chunks=6, hold=release, hold_after=1)
    stream = provider.stream(HELLO, model="fake-model", cancel=CancelToken())
    try:
        assert next(stream) == TextDelta("a")
        stream.close()
        assert any_fake.model_requests[0].disconnected.wait(2)
        assert any_fake.wait_idle(2)
        assert threading.active_count() == before
    finally:
        release.set()


def test_cancelling_one_stream_leaves_another_on_the_same_provider_alone(any_fake):
    provider = provider_for(any_fake)
    release_a, release_b = threading.Event(), threading.Event()
    reply_a = any_fake.reply(text="aaaa", chunks=4, hold=release_a)
    reply_b = any_fake.reply(text="bbbb", chunks=4, hold=release_b)
    cancel_a = CancelToken()
    results = {}

    def consume(key, cancel):
        results[key] = run(provider, cancel=cancel)

    first = threading.Thread(target=consume, args=("a", cancel_a))
    first.start()
    assert reply_a.stalled.wait(5)
    second = threading.Thread(target=consume, args=("b", CancelToken()))
    second.start()
    try:
        assert reply_b.stalled.wait(5)
        cancel_a.set()
        first.join(2)
        assert not first.is_alive()
        release_b.set()
        second.join(5)
        assert results["a"][1].kind == "cancelled"
        events_b, error_b = results["b"]
        assert error_b is None and text_of(events_b) == "bbbb"
    finally:
        release_a.set()
        release_b.set()
        first.join()
        second.join()


def test_an_error_event_mid_stream_is_raised_not_retried(any_fake):
    any_fake.reply(text="abcdef", chunks=6, stream_error="Overloaded", stream_error_after=2)
    events, error = run(provider_for(any_fake))
    assert text_of(events) == "ab"
    assert error.kind == "server_error" and "Overloaded" in error.message
    assert len(any_fake.model_requests) == 1


def test_an_error_event_before_any_output_is_retried(any_fake):
    any_fake.reply(text="abc", stream_error="Overloaded", stream_error_after=0)
    any_fake.reply(text="Second try.")
    events, error = run(provider_for(any_fake))
    assert error is None and text_of(events) == "Second try."
    assert len(any_fake.model_requests) == 2


def test_a_server_that_lists_no_models_says_so(any_fake):
    any_fake.models = None
    with pytest.raises(ProviderError) as caught:
        provider_for(any_fake).list_models()
    assert caught.value.kind == "bad_request" and caught.value.status == 404
    assert "type the model's name" in caught.value.message
