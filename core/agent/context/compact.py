"""Writing a summary of the oldest turns with the session's own model."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from core.agent.context.plan import after_summary
from core.agent.providers.ask import answer_text

SUMMARY_SYSTEM = (
    "You compress conversations between a user and an AI assistant so that the conversation "
    "can go on without them. Write a faithful summary in the conversation's language: the "
    "user's goals and preferences, decisions made, facts and numbers given, names of files, "
    "commands and tools used with what they showed, what was done, and what is still open. "
    "No preamble; plain text or short lists."
)
DEFAULT_BUDGET_CHARS = 48_000  # when the window is unknown


def transcript(history: Sequence[Mapping[str, Any]], covers_id: str, budget_chars: int) -> str:
    """The previous summary and the messages down to ``covers_id`` as plain text, each
    message cut to its share of ``budget_chars``."""
    summary, rest = after_summary(history)
    upto = next((i for i, m in enumerate(rest) if m.get("id") == covers_id), len(rest) - 1)
    covered = [m for m in rest[: upto + 1] if m.get("role") in ("user", "assistant", "tool")]
    share = max(300, budget_chars // max(1, len(covered) + (1 if summary else 0)))
    parts = [f"[Earlier summary]\n{_cut(summary, share * 4)}"] if summary else []
    for message in covered:
        role = message["role"]
        text = str(message.get("content") or "")
        if role == "assistant":
            calls = ", ".join(
                f"{c.get('name')}({_cut(str(c.get('arguments') or ''), 200)})"
                for c in message.get("tool_calls") or ()
            )
            if calls:
                text = f"{text}\n[called {calls}]".strip()
        if role == "tool":
            role = f"tool {message.get('name') or ''} output".replace("  ", " ")
        if text.strip():
            parts.append(f"[{role}]\n{_cut(text, share)}")
    return "\n\n".join(parts)


def summarise(
    provider: Any,
    model: str,
    history: Sequence[Mapping[str, Any]],
    covers_id: str,
    *,
    window: int | None,
    cancel: Any,
    on_text: Callable[[str], None] | None = None,
) -> str:
    """Ask the model for the summary; returns its text (ProviderError on failure)."""
    budget = int(window * 0.5 * 3.2) if window else DEFAULT_BUDGET_CHARS
    words = 150 if window and window < 8_000 else 600
    ask = (
        f"Summarise this conversation in at most {words} words.\n\n<conversation>\n"
        f"{transcript(history, covers_id, budget)}\n</conversation>"
    )
    answer = answer_text(
        provider,
        model,
        ask,
        system=SUMMARY_SYSTEM,
        cancel=cancel,
        on_text=on_text,
        stopped="The compaction was stopped.",
    )
    return answer.strip()


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    return f"{text[:head]} […] {text[-(limit - head) :]}"
