"""What the OpenAI-compatible provider sends, and the quirks of local servers."""

import email.utils
import threading
import time
from functools import partial

import pytest

from core.agent.providers import (
    Finish,
    ProviderError,
    ReasoningDelta,
    TextDelta,
    ToolCall,
)
from tests.fakes import fixtures

openai_fake = fixtures.openai_fake
provider_for = partial(fixtures.provider_for, backoff=(0.01,))

HISTORY = [
    {"role": "user", "content": "What is in a.txt and b.txt?"},
    {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {"id": "call_1", "name": "read_file", "arguments": '{"path": "a.txt"}'},
            {"id": "call_2", "name": "read_file", "arguments": '{"path": "b.txt"}'},
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "name": "read_file", "content": "apples"},
    {"role": "tool", "tool_call_id": "call_2", "name": "read_file", "content": "bananas"},
    {"role": "assistant", "content": "a.txt has apples, b.txt has bananas."},
    {"role": "user", "content": "Thanks!"},
]
TOOLS = [
    {
        "name": "read_file",
        "description": "Read a file.",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
    }
]


def collect(provider, messages=HISTORY, **kwargs):
    return list(provider.stream(messages, model="fake-model", **kwargs))


def test_history_with_tool_calls_becomes_chat_messages(openai_fake):
    collect(
        provider_for(openai_fake),
        tools=TOOLS,
        system="You are Hearth.",
        options={"temperature": 0.2},
    )
    request = openai_fake.model_requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-secret-123"
    body = request.json
    assert body["model"] == "fake-model"
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["temperature"] == 0.2
    assert body["messages"] == [
        {"role": "system", "content": "You are Hearth."},
        {"role": "user", "content": "What is in a.txt and b.txt?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "read_file", "arguments": '{"path": "a.txt"}'},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "read_file", "arguments": '{"path": "b.txt"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "apples"},
        {"role": "tool", "tool_call_id": "call_2", "content": "bananas"},
        {"role": "assistant", "content": "a.txt has apples, b.txt has bananas."},
        {"role": "user", "content": "Thanks!"},
    ]
    assert body["tools"] == [{"type": "function", "function": TOOLS[0]}]


def test_no_tools_means_no_tools_field(openai_fake):
    collect(provider_for(openai_fake))
    assert "tools" not in openai_fake.last_body


def test_a_server_without_key_gets_a_placeholder(openai_fake):
    collect(provider_for(openai_fake, api_key=None))
    assert openai_fake.model_requests[0].headers["authorization"] == "Bearer not-needed"


def test_rejected_stream_options_are_dropped_once_and_for_all(openai_fake):
    openai_fake.reject_stream_options = True
    provider = provider_for(openai_fake)
    events = collect(provider)
    assert events[-1] == Finish("stop")
    first, second = openai_fake.model_requests
    assert "stream_options" in first.json and "stream_options" not in second.json
    collect(provider)
    assert "stream_options" not in openai_fake.model_requests[2].json
    assert len(openai_fake.model_requests) == 3


def test_reasoning_field_named_reasoning(openai_fake):
    openai_fake.reply(reasoning="Thinking...", text="Done.", reasoning_field="reasoning")
    events = collect(provider_for(openai_fake))
    assert events[:2] == [ReasoningDelta("Thinking..."), TextDelta("Done.")]


def test_tool_calls_with_finish_reason_stop_still_finish_as_tool_calls(openai_fake):
    openai_fake.reply(tool_calls=[{"name": "read_file", "arguments": {"path": "x"}}], finish="stop")
    events = collect(provider_for(openai_fake))
    assert events[0] == ToolCall("call_fake_0", "read_file", '{"path": "x"}')
    assert events[-1] == Finish("tool_calls")


def test_length_finish_is_passed_on(openai_fake):
    openai_fake.reply(text="cut", finish="length")
    assert collect(provider_for(openai_fake))[-1] == Finish("length")


@pytest.mark.parametrize(
    "message",
    [
        "This model's maximum context length is 8192 tokens. However, you requested 9000.",
        "the request exceeds the available context size, try increasing it",
    ],
)
def test_context_too_long(openai_fake, message):
    openai_fake.error(status=400, message=message)
    with pytest.raises(ProviderError) as caught:
        collect(provider_for(openai_fake))
    assert caught.value.kind == "context_too_long"
    assert "'fake-model'" in caught.value.message
    assert len(openai_fake.model_requests) == 1


def test_other_400_is_a_bad_request_quoting_the_server(openai_fake):
    openai_fake.error(status=400, message="Invalid value for 'temperature'.")
    with pytest.raises(ProviderError) as caught:
        collect(provider_for(openai_fake))
    assert caught.value.kind == "bad_request"
    assert "Invalid value for 'temperature'." in caught.value.message
    assert len(openai_fake.model_requests) == 1


def test_403_is_an_auth_error(openai_fake):
    openai_fake.error(status=403, message="Project does not have access to model")
    with pytest.raises(ProviderError) as caught:
        collect(provider_for(openai_fake))
    assert caught.value.kind == "auth" and caught.value.status == 403


def test_out_of_quota_is_not_retried(openai_fake):
    openai_fake.error(
        status=429,
        body={
            "error": {
                "message": "You exceeded your current quota",
                "type": "insufficient_quota",
                "code": "insufficient_quota",
            }
        },
    )
    with pytest.raises(ProviderError) as caught:
        collect(provider_for(openai_fake))
    assert caught.value.kind == "rate_limited"
    assert "quota" in caught.value.message
    assert len(openai_fake.model_requests) == 1


def test_retry_after_as_an_http_date(openai_fake):
    when = email.utils.formatdate(time.time() + 100, usegmt=True)
    openai_fake.error(status=429, headers={"retry-after": when})
    with pytest.raises(ProviderError) as caught:
        collect(provider_for(openai_fake, max_retry_wait=1.0))
    assert 90 < caught.value.retry_after <= 100


def test_retry_after_ms(openai_fake):
    openai_fake.error(status=429, headers={"retry-after-ms": "20"})
    openai_fake.reply(text="ok")
    assert TextDelta("ok") in collect(provider_for(openai_fake))
    assert len(openai_fake.model_requests) == 2


def test_a_silent_server_times_out(openai_fake):
    release = threading.Event()
    openai_fake.reply(text="late", hold=release, hold_before_headers=True)
    try:
        with pytest.raises(ProviderError) as caught:
            collect(provider_for(openai_fake, timeout=0.3, max_retries=0))
        assert caught.value.kind == "network"
        assert "did not answer within 0.3 s" in caught.value.message
    finally:
        release.set()


def test_the_default_model_is_used_when_none_is_given(openai_fake):
    provider = provider_for(openai_fake, default_model="my-default")
    list(provider.stream(HISTORY))
    assert openai_fake.last_body["model"] == "my-default"


def test_a_key_the_server_echoes_back_is_hidden(openai_fake):
    openai_fake.error(status=400, message="Bad header: Bearer sk-secret-123 is malformed")
    with pytest.raises(ProviderError) as caught:
        collect(provider_for(openai_fake))
    assert "sk-secret-123" not in caught.value.message
    assert "[hidden key]" in caught.value.message


def test_401_without_a_key_asks_for_one(openai_fake):
    openai_fake.error(status=401)
    with pytest.raises(ProviderError) as caught:
        collect(provider_for(openai_fake, api_key=None, name="OpenRouter"))
    assert caught.value.message == "OpenRouter needs an API key. Add one in Settings."
