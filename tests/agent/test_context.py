"""The context window's pieces: which window a model has, what a request sends, where a
summary cuts, and the settings that steer it."""

from __future__ import annotations

import pytest

from core.agent.context.plan import SUMMARY_HEADING, cover_point, plan_request
from core.agent.context.tokens import estimate_tokens
from core.agent.context.windows import known_window, remember_window, window_for
from core.agent.providers import ProviderConfig
from core.errors import InvalidInput
from core.settings import Settings


def msg(n: int, role: str, content: str, **extra) -> dict:
    return {"id": f"m{n}", "role": role, "content": content, "status": "complete", **extra}


def conversation(turns: int, output: str = "") -> list[dict]:
    out, n = [], 0
    for turn in range(turns):
        out.append(msg(n := n + 1, "user", f"question {turn}"))
        if output:
            call = {"id": f"c{turn}", "name": "read_file", "arguments": "{}"}
            out.append(msg(n := n + 1, "assistant", "", tool_calls=[call]))
            out.append(msg(n := n + 1, "tool", output, tool_call_id=f"c{turn}", name="read_file"))
        out.append(msg(n := n + 1, "assistant", f"answer {turn}"))
    return out


def test_the_window_comes_from_the_override_then_the_provider_then_the_table():
    config = ProviderConfig(kind="openai", base_url="http://127.0.0.1:9/v1")
    assert known_window("openai/gpt-4o-mini") == 128_000  # OpenRouter's vendor prefix
    assert known_window("claude-sonnet-4-5") == 200_000
    assert known_window("my-own-model") is None
    assert window_for(config, "gpt-4o") == 128_000
    remember_window(config.base_url, "gpt-4o", 64_000)  # what the server said
    assert window_for(config, "gpt-4o") == 64_000
    assert window_for(config, "gpt-4o", {"gpt-4o": 5_000}) == 5_000
    assert window_for(ProviderConfig(kind="local", base_url="file:///m.gguf"), "m.gguf") == 4096


def test_what_is_sent_starts_after_the_last_complete_summary():
    history = conversation(4)
    history.append(msg(90, "summary", "an interrupted one", covers_id="m6", status="interrupted"))
    history.append(msg(91, "summary", "They asked two questions.", covers_id="m4"))
    plan = plan_request(history, system="Be kind.")
    assert plan.system == f"Be kind.\n\n{SUMMARY_HEADING}\nThey asked two questions."
    assert [m["content"] for m in plan.messages] == [
        "question 2",
        "answer 2",
        "question 3",
        "answer 3",
    ]


def test_over_the_threshold_old_tool_outputs_are_shortened_then_a_compaction_is_asked():
    history = conversation(6, output="x " * 5_000)
    plan = plan_request(history, system="s", window=200_000)
    assert plan.trimmed == 0 and plan.compact_covers is None
    plan = plan_request(history, system="s", window=12_000)
    assert plan.trimmed == 4  # all but the last two outputs
    outputs = [m["content"] for m in plan.messages if m["role"] == "tool"]
    assert all("left out by Hearth" in o for o in outputs[:4])
    assert outputs[-1] == "x " * 5_000  # the store's messages are untouched
    assert history[2]["content"] == "x " * 5_000
    plan = plan_request(history, system="s", window=4_000)
    assert plan.compact_covers is not None
    covered = next(i for i, m in enumerate(history) if m["id"] == plan.compact_covers)
    assert history[covered + 1]["role"] == "user"  # what stays starts with a question


def test_the_turn_being_answered_always_stays():
    history = conversation(3)
    assert cover_point(history, keep_tokens=0) == "m4"  # everything before question 2
    assert cover_point(history[:2], keep_tokens=0) is None  # one turn: nothing to summarise


def test_estimates_are_denser_for_code_and_json_than_for_prose():
    prose = "The river ran slowly past the mill, and the miller watched it every morning. " * 20
    code = "def f(x):\n    return {'a': [x, x * 2], 'b': (x,)}\n" * 30
    assert estimate_tokens(prose) == pytest.approx(len(prose) / 4, rel=0.1)
    assert estimate_tokens(code) > len(code) / 4 * 1.1


def test_context_settings_are_checked(paths):
    settings = Settings(paths)
    settings.update(context_threshold=0.7, context_windows={"fake-model": 32_000})
    assert settings.get()["context_windows"] == {"fake-model": 32_000}
    with pytest.raises(InvalidInput, match="context_threshold"):
        settings.update(context_threshold=1.5)
    with pytest.raises(InvalidInput, match="whole number"):
        settings.update(context_windows={"m": "lots"})


def test_attachments_count_toward_the_context():
    from core.agent.context.tokens import IMAGE_TOKENS, message_tokens

    plain = {"role": "user", "content": "What is in these?"}
    with_records = {
        **plain,
        "attachments": [
            {"id": "a", "name": "dot.png", "type": "image/png", "size": 90},
            {"id": "b", "name": "notes.pdf", "type": "application/pdf", "size": 40_000},
        ],
    }
    loaded = {
        **with_records,
        "parts": [
            {"type": "image", "media_type": "image/png", "data": "AAAA"},
            {"type": "text", "text": '<attachment name="notes.pdf">\n' + "word " * 2000},
        ],
    }
    base = message_tokens(plain)
    assert message_tokens(with_records) == base + IMAGE_TOKENS + 10_000
    assert base + IMAGE_TOKENS + 2000 <= message_tokens(loaded) <= base + IMAGE_TOKENS + 4000
