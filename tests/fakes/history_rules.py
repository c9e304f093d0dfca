"""The rules the real APIs enforce on a conversation's history, with their own error texts, so a
history Hearth should never send (an unanswered tool call, an orphan result, an empty turn) is
refused by the fakes with a 400 as it would be by OpenAI or Anthropic."""

from __future__ import annotations

from typing import Any


def openai_history_error(messages: Any) -> str | None:
    """Why Chat Completions would refuse ``messages`` (None: it would take them)."""
    if not isinstance(messages, list) or not messages:
        return "[] is too short - 'messages'"
    unanswered: list[str] = []  # ids of the last assistant tool calls without a tool message
    answerable: set[str] = set()
    for index, message in enumerate(messages):
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in answerable:
                return (
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'."
                )
            answerable.discard(call_id)
            unanswered = [i for i in unanswered if i != call_id]
            continue
        if unanswered:
            return _openai_unanswered(unanswered)
        answerable = set()
        if role == "assistant":
            calls = message.get("tool_calls") or []
            if message.get("content") is None and not calls:
                return (
                    f"Invalid value for 'content': expected a string, got null. (messages.{index})"
                )
            ids = [call.get("id") for call in calls]
            unanswered, answerable = list(ids), set(ids)
        elif role not in ("system", "user", "developer"):
            return (
                f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', "
                "'user', 'tool'."
            )
    if unanswered:
        return _openai_unanswered(unanswered)
    return None


def _openai_unanswered(ids: list[str]) -> str:
    return (
        "An assistant message with 'tool_calls' must be followed by tool messages responding "
        "to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
        + ", ".join(ids)
    )


def anthropic_history_error(messages: Any) -> str | None:
    """Why the Messages API would refuse ``messages`` (None: it would take them)."""
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    seen_ids: set[str] = set()
    previous_uses: set[str] = set()
    last = len(messages) - 1
    for index, message in enumerate(messages):
        role = message.get("role")
        if role not in ("user", "assistant"):
            return f"messages.{index}.role: Input should be 'user' or 'assistant'"
        if index == 0 and role != "user":
            return 'messages: first message must use the "user" role'
        if index and messages[index - 1].get("role") == role:
            return (
                'messages: roles must alternate between "user" and "assistant", but found '
                f'multiple "{role}" roles in a row'
            )
        blocks = _blocks(message.get("content"))
        if not blocks and not (index == last and role == "assistant"):
            return (
                f"messages.{index}: all messages must have non-empty content except for the "
                "optional final assistant message"
            )
        uses: set[str] = set()
        results: list[str] = []
        for number, block in enumerate(blocks):
            kind = block.get("type")
            where = f"messages.{index}.content.{number}"
            if kind == "text":
                text = block.get("text") or ""
                if not text:
                    return "messages: text content blocks must be non-empty"
                if not text.strip():
                    return "messages: text content blocks must contain non-whitespace text"
            elif kind == "tool_use":
                if role != "assistant":
                    return f"{where}: tool_use blocks are only allowed in assistant messages"
                if block.get("id") in seen_ids:
                    return f"{where}: `tool_use` ids must be unique"
                seen_ids.add(block.get("id"))
                uses.add(block.get("id"))
            elif kind == "tool_result":
                if role != "user":
                    return f"{where}: tool_result blocks are only allowed in user messages"
                if block.get("tool_use_id") not in previous_uses:
                    return (
                        f"{where}: unexpected `tool_use_id` found in `tool_result` blocks: "
                        f"{block.get('tool_use_id')}. Each `tool_result` block must have a "
                        "corresponding `tool_use` block in the previous message."
                    )
                if any(b.get("type") != "tool_result" for b in blocks[:number]):
                    return f"{where}: tool_result blocks must come first in the content"
                results.append(block.get("tool_use_id"))
        missing = sorted(previous_uses - set(results))
        if missing:
            return (
                f"messages.{index}: `tool_use` ids were found without `tool_result` blocks "
                f"immediately after: {', '.join(missing)}. Each `tool_use` block must have a "
                "corresponding `tool_result` block in the next message."
            )
        if index == last and role == "assistant":
            text = blocks[-1].get("text") if blocks and blocks[-1].get("type") == "text" else None
            if text is not None and text != text.rstrip():
                return "messages: final assistant content cannot end with trailing whitespace"
        previous_uses = uses
    return None


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return [b for b in content or [] if isinstance(b, dict)]
