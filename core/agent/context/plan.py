"""What the next request sends, how many tokens that is, and whether to compact first.

The shown path is cut at its last complete summary: everything down to the message the
summary covers is replaced by the summary (appended to the system prompt), the rest is sent as
stored. When that is over ``threshold`` of the window, old tool outputs (all but those of the
turn being answered) are shortened in what is sent, never in the store; if it is still over,
the plan names the message a new summary should cover (``compact_covers``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.agent.context.tokens import estimate_tokens, message_tokens, schema_tokens

DEFAULT_THRESHOLD = 0.8
KEEP_SHARE = 0.3  # of the window: the recent turns a compaction keeps as they are
TRIM_OVER = 2_000  # characters: longer old tool outputs are shortened when over threshold
TRIM_HEAD, TRIM_TAIL = 800, 300
KEEP_OUTPUTS = 2  # the latest tool outputs are never shortened
TRIMMED_TOKENS = (TRIM_HEAD + TRIM_TAIL + 100) // 4  # what a shortened output weighs
_COUNTS_KEPT = 500_000
_counts: dict[tuple[str, int], int] = {}  # (message id, content length) -> tokens
SUMMARY_HEADING = "Summary of the earlier part of this conversation (written by Hearth):"


@dataclass
class Plan:
    messages: list[dict[str, Any]]
    system: str
    used_tokens: int
    window_tokens: int | None
    parts: dict[str, int] = field(default_factory=dict)
    compact_covers: str | None = None  # compact first: the last message to summarise
    trimmed: int = 0  # old tool outputs shortened in what is sent


def after_summary(history: Sequence[Mapping[str, Any]]) -> tuple[str | None, list[Mapping]]:
    """(the last complete summary's text, the messages after what it covers)."""
    for at in range(len(history) - 1, -1, -1):
        message = history[at]
        if message.get("role") != "summary" or message.get("status") != "complete":
            continue  # (a summary is found from the end: usually within the last turns)
        covers = message.get("covers_id")
        for index in range(at, -1, -1):
            if history[index].get("id") == covers:
                return str(message.get("content") or ""), list(history[index + 1 :])
    return None, list(history)


def plan_request(
    history: Sequence[Mapping[str, Any]],
    *,
    system: str,
    tools: Any = None,
    window: int | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    scale: float = 1.0,
    force_compact: bool = False,
    build: bool = True,
) -> Plan:
    """Plan the request that would answer ``history`` (the shown path). ``scale`` is the
    provider's calibration factor; ``force_compact`` names a cover point whatever the size.
    The counting is done on the stored messages (each one's count kept by id), so it costs a
    lookup a message; ``build`` False leaves ``messages`` empty (the meter needs no request)."""
    summary, rest = after_summary(history)
    full_system = f"{system}\n\n{SUMMARY_HEADING}\n{summary}" if summary else system
    fixed = estimate_tokens(full_system) + schema_tokens(tools)
    weights, outputs = _weights(rest)
    plan = Plan([], full_system, 0, window)
    _total(plan, fixed, weights, outputs, scale)
    limit = window * threshold if window else None
    if limit is not None and plan.used_tokens > limit:
        for index in outputs[: max(0, len(outputs) - KEEP_OUTPUTS)]:
            if len(str(rest[index].get("content") or "")) > TRIM_OVER:
                weights[index] = TRIMMED_TOKENS
                plan.trimmed += 1
        _total(plan, fixed, weights, outputs, scale)
    if force_compact or (limit is not None and plan.used_tokens > limit):
        keep = (window or 0) * (KEEP_SHARE / 2 if force_compact else KEEP_SHARE)
        plan.compact_covers = cover_point(rest, keep / scale, weights)
    if build:
        from core.agent.turn import model_history

        plan.messages = model_history(rest)
        if plan.trimmed:
            trim_old_tool_outputs(plan.messages)
    return plan


def _weights(rest: Sequence[Mapping[str, Any]]) -> tuple[list[int], list[int]]:
    """Each message's count, and where the tool outputs are (one pass: this is the loop a
    5,000-message session runs on every plan)."""
    weights: list[int] = []
    outputs: list[int] = []
    kept = _counts.get
    for index, message in enumerate(rest):
        content = message.get("content")
        found = kept((message.get("id"), len(content))) if isinstance(content, str) else None
        weights.append(found if found is not None else stored_tokens(message))
        if message.get("role") == "tool":
            outputs.append(index)
    return weights, outputs


def stored_tokens(message: Mapping[str, Any]) -> int:
    """A stored message's count, kept by its id and length (a Continue changes the text)."""
    message_id = message.get("id")
    if not message_id:
        return message_tokens(message)
    key = (message_id, len(str(message.get("content") or "")), bool(message.get("parts")))
    found = _counts.get(key)
    if found is None:
        found = message_tokens(message)
        if len(_counts) > _COUNTS_KEPT:
            _counts.clear()
        _counts[key] = found
    return found


def _total(plan: Plan, fixed: int, weights: list[int], outputs: list[int], scale: float) -> None:
    tool = sum(weights[i] for i in outputs)
    plan.parts = {
        "system_and_tools": round(fixed * scale),
        "messages": round((sum(weights) - tool) * scale),
        "tool_outputs": round(tool * scale),
    }
    plan.used_tokens = sum(plan.parts.values())


def trim_old_tool_outputs(messages: list[dict[str, Any]], keep: int = KEEP_OUTPUTS) -> int:
    """Shorten long tool outputs, all but the last ``keep``, in place; how many."""
    outputs = [i for i, m in enumerate(messages) if m["role"] == "tool"]
    trimmed = 0
    for index in outputs[: max(0, len(outputs) - keep)]:
        message = messages[index]
        content = message.get("content") or ""
        if len(content) <= TRIM_OVER:
            continue
        cut = len(content) - TRIM_HEAD - TRIM_TAIL
        messages[index] = {
            **message,
            "content": f"{content[:TRIM_HEAD]}\n[… {cut:,} characters of this old tool output "
            f"left out by Hearth to fit the context window …]\n{content[-TRIM_TAIL:]}",
        }
        trimmed += 1
    return trimmed


def cover_point(
    rest: Sequence[Mapping[str, Any]], keep_tokens: float, weights: list[int] | None = None
) -> str | None:
    """The last message a summary should cover so that what stays starts at a user message
    and weighs at most ``keep_tokens`` (the turn being answered always stays). None when
    there is nothing before the last turn to summarise. Walks back from the end only as far
    as what stays."""
    if weights is None:
        weights = _weights(rest)[0]
    kept = 0
    chosen = None
    for index in range(len(rest) - 1, 0, -1):
        role = rest[index].get("role")
        if role == "summary":
            continue
        kept += weights[index]
        if role != "user":
            continue
        if chosen is not None and kept > keep_tokens:
            break
        chosen = index
    if chosen is None:
        return None
    for index in range(chosen - 1, -1, -1):
        message = rest[index]
        if message.get("role") != "summary" and message.get("id"):
            return str(message["id"])
    return None


def fit(
    messages: list[dict[str, Any]], system: str, tools: Any, window: int | None, threshold: float
) -> tuple[list[dict[str, Any]], int]:
    """``messages`` as they should be sent (a copy, old tool outputs shortened when over the
    threshold) and the estimate of the request, uncalibrated."""
    plan = Plan(list(messages), system, 0, window)
    fixed = estimate_tokens(system) + schema_tokens(tools)
    _count(plan, fixed, 1.0)
    if window and plan.used_tokens > window * threshold and trim_old_tool_outputs(plan.messages):
        _count(plan, fixed, 1.0)
    return plan.messages, plan.used_tokens


def _count(plan: Plan, fixed: int, scale: float) -> None:
    outputs = sum(message_tokens(m) for m in plan.messages if m["role"] == "tool")
    others = sum(message_tokens(m) for m in plan.messages if m["role"] != "tool")
    plan.parts = {
        "system_and_tools": round(fixed * scale),
        "messages": round(others * scale),
        "tool_outputs": round(outputs * scale),
    }
    plan.used_tokens = sum(plan.parts.values())
