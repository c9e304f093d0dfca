"""What the Anthropic provider sends: system apart, tool_use and merged tool_result turns."""

from functools import partial

import pytest

from core.agent.providers import Finish, ProviderError, TextDelta
from tests.fakes import fixtures

anthropic_fake = fixtures.anthropic_fake
provider_for = partial(fixtures.provider_for, api_key="sk-ant-secret", backoff=(0.01,))

HISTORY = [
    {"role": "user", "content": "What is in a.txt and b.txt?"},
    {
        "role": "assistant",
        "content": "Let me read them.",
        "tool_calls": [
            {"id": "toolu_1", "name": "read_file", "arguments": '{"path": "a.txt"}'},
            {"id": "toolu_2", "name": "read_file", "arguments": '{"path": "b.txt"}'},
        ],
    },
    {"role": "tool", "tool_call_id": "toolu_1", "name": "read_file", "content": "apples"},
    {"role": "tool", "tool_call_id": "toolu_2", "name": "read_file", "content": "bananas"},
    {"role": "user", "content": "Also, be brief."},
    {"role": "assistant", "content": ""},  # cancelled before any text: must not be sent
    {"role": "assistant", "content": "Apples and bananas."},
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


def text(value):
    return {"type": "text", "text": value}


def test_history_with_tool_calls_becomes_anthropic_turns(anthropic_fake):
    collect(provider_for(anthropic_fake), tools=TOOLS, system="You are Hearth.")
    request = anthropic_fake.model_requests[0]
    assert request.path == "/v1/messages"
    # The SDK decides the header: x-api-key in older releases, a bearer token in 2.x.
    assert "sk-ant-secret" in (
        request.headers.get("x-api-key", ""),
        request.headers.get("authorization", "")[7:],
    )
    assert "anthropic-version" in request.headers
    body = request.json
    assert body["system"] == "You are Hearth."
    assert body["stream"] is True
    assert body["max_tokens"] == 8192
    assert body["messages"] == [
        {"role": "user", "content": [text("What is in a.txt and b.txt?")]},
        {
            "role": "assistant",
            "content": [
                text("Let me read them."),
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "read_file",
                    "input": {"path": "a.txt"},
                },
                {
                    "type": "tool_use",
                    "id": "toolu_2",
                    "name": "read_file",
                    "input": {"path": "b.txt"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "apples"},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "bananas"},
                text("Also, be brief."),
            ],
        },
        {"role": "assistant", "content": [text("Apples and bananas.")]},
        {"role": "user", "content": [text("Thanks!")]},
    ]
    assert body["tools"] == [
        {"name": "read_file", "description": "Read a file.", "input_schema": TOOLS[0]["parameters"]}
    ]


def test_options_override_max_tokens_and_reach_the_body(anthropic_fake):
    collect(provider_for(anthropic_fake), options={"max_tokens": 100, "temperature": 0.5})
    body = anthropic_fake.last_body
    assert body["max_tokens"] == 100 and body["temperature"] == 0.5
    assert "system" not in body and "tools" not in body


def test_a_system_message_in_the_history_joins_the_system_prompt(anthropic_fake):
    history = [{"role": "system", "content": "Workspace: ~/notes"}, *HISTORY[:1]]
    collect(provider_for(anthropic_fake), messages=history, system="You are Hearth.")
    body = anthropic_fake.last_body
    assert body["system"] == "You are Hearth.\n\nWorkspace: ~/notes"
    assert [m["role"] for m in body["messages"]] == ["user"]


def test_a_base_url_ending_in_v1_is_accepted(anthropic_fake):
    events = collect(provider_for(anthropic_fake, base_url=anthropic_fake.base_url + "/v1/"))
    assert TextDelta("Hello from the fake model.") in events
    assert anthropic_fake.model_requests[0].path == "/v1/messages"


def test_max_tokens_stop_reason_is_length(anthropic_fake):
    anthropic_fake.reply(text="cut", finish="max_tokens")
    assert collect(provider_for(anthropic_fake))[-1] == Finish("length")


def test_overloaded_529_is_retried(anthropic_fake):
    anthropic_fake.error(status=529, message="Overloaded")
    anthropic_fake.reply(text="ok")
    assert TextDelta("ok") in collect(provider_for(anthropic_fake))
    assert len(anthropic_fake.model_requests) == 2


def test_prompt_too_long(anthropic_fake):
    anthropic_fake.error(status=400, message="prompt is too long: 250000 tokens > 200000 maximum")
    with pytest.raises(ProviderError) as caught:
        collect(provider_for(anthropic_fake))
    assert caught.value.kind == "context_too_long"
    assert len(anthropic_fake.model_requests) == 1
