"""A ChatGPT conversation (one item of ``conversations.json``) as an ``ImportedChat``.

ChatGPT keeps a conversation as a tree: ``mapping`` holds nodes with ``parent`` and
``children``, and ``current_node`` is the last message of the branch shown. The tree is kept
(each regenerated answer or edited question is a version beside the other), with these
choices:

- Nodes nobody saw are skipped, their children re-linked to the nearest kept ancestor: the
  empty root, system messages, anything ``is_visually_hidden_from_conversation``, custom
  instructions and memory (``user_editable_context``, ``model_editable_context``), the
  "Thought for 10 s" line (``reasoning_recap``) and empty messages. A ``thoughts`` node is
  skipped too, but its text becomes the reasoning of the next answer below it.
- Hearth's tool messages answer a tool call that Hearth's own model made; ChatGPT's tools
  (python, browsing, DALL·E, memory...) are not Hearth's, and a provider refuses a tool
  result whose call it cannot see. So a ChatGPT tool call and its output are kept as the
  assistant's text, each marked (**Tool call** `python`, **Tool output** `python`) with the
  code or output in a fence. Steps of one answer that follow each other without a branch
  (call, output, answer) are joined into one assistant message.
- A child older than its parent takes its parent's time; a missing time is inherited.
- A cycle is cut at its oldest node (see ``tree.parents_first``).
- A conversation without a ``mapping`` (or with nothing left to show) is skipped and counted.
"""

from __future__ import annotations

from typing import Any

from core import clock
from core.store.importers.chats import (
    ImportedChat,
    ImportedMessage,
    clean,
    fence,
    joined,
    short,
    time_from_epoch,
    title,
)
from core.store.importers.tree import parents_first

UNSEEN_TYPES = frozenset({"reasoning_recap", "user_editable_context", "model_editable_context"})
FINISHED = ("finished_successfully", None, "")


def looks_like(item: dict[str, Any]) -> bool:
    return "mapping" in item or "current_node" in item or "default_model_slug" in item


def to_chat(conversation: dict[str, Any]) -> ImportedChat | None:
    """The conversation as a chat, or None when it holds nothing to show."""
    mapping = conversation.get("mapping")
    if not isinstance(mapping, dict):
        return None
    nodes = {k: n for k, n in mapping.items() if isinstance(n, dict)}
    raw_time = {k: _message_time(n) for k, n in nodes.items()}
    listed: dict[str, int] = {}
    for node in nodes.values():
        for index, child in enumerate(_list(node.get("children"))):
            if isinstance(child, str):
                listed.setdefault(child, index)
    parent_of = {k: _text_or_none(n.get("parent")) for k, n in nodes.items()}
    order = parents_first(parent_of, lambda k: (listed.get(k, 1 << 30), raw_time[k] or 0.0, k))

    started = time_from_epoch(conversation.get("create_time"))
    anchor: dict[str, str | None] = {}  # a node → itself if kept, else its nearest kept ancestor
    when: dict[str, str] = {}  # a node → its time, never before its parent's
    pending: dict[str, str | None] = {}  # reasoning from skipped thoughts, for the next answer
    kept: list[ImportedMessage] = []
    model_seen = None
    for key, parent in order:
        node_time = time_from_epoch(raw_time[key]) if raw_time[key] is not None else None
        floor = when[parent] if parent is not None else started
        known = [t for t in (node_time, floor) if t]
        when[key] = max(known) if known else clock.now()
        up_anchor = anchor[parent] if parent is not None else None
        up_pending = pending[parent] if parent is not None else None
        converted = _convert(nodes[key].get("message"))
        if converted is None or converted[0] is None:
            anchor[key] = up_anchor
            thoughts = converted[1] if converted is not None else None
            pending[key] = joined(up_pending, thoughts) or None
            continue
        role, content, status, slug = converted
        reasoning = up_pending if role == "assistant" else None
        kept.append(
            ImportedMessage(
                key=key,
                parent=up_anchor,
                role=role,
                content=content,
                created_at=when[key],
                reasoning=reasoning,
                status=status,
            )
        )
        anchor[key] = key
        pending[key] = None
        if role == "assistant" and slug:
            model_seen = slug
    if not kept:
        return None
    messages, merged_into = _join_steps(kept)
    current = _text_or_none(conversation.get("current_node"))
    shown = merged_into.get(anchor.get(current)) if current in anchor else None
    if shown is None:
        shown = max(messages, key=lambda m: m.created_at).key if messages else None
    created = started or messages[0].created_at
    updated = time_from_epoch(conversation.get("update_time"))
    latest = max(m.created_at for m in messages)
    return ImportedChat(
        title=title(conversation.get("title") or ""),
        created_at=created,
        updated_at=max(updated or latest, latest, created),
        model=short(conversation.get("default_model_slug")) or short(model_seen),
        messages=messages,
        shown_leaf=shown,
    )


def _join_steps(
    kept: list[ImportedMessage],
) -> tuple[list[ImportedMessage], dict[str | None, str | None]]:
    """Join an assistant message into the assistant message before it when that one has no
    other child: the steps of one answer (a tool call, its output, the reply) become one."""
    child_count: dict[str | None, int] = {}
    for message in kept:
        child_count[message.parent] = child_count.get(message.parent, 0) + 1
    merged_into: dict[str | None, str | None] = {None: None}
    by_key: dict[str, ImportedMessage] = {}
    out: list[ImportedMessage] = []
    for message in kept:
        target = by_key.get(merged_into.get(message.parent))
        if (
            message.role == "assistant"
            and target is not None
            and target.role == "assistant"
            and child_count.get(message.parent) == 1
        ):
            target.content = joined(target.content, message.content)
            target.reasoning = joined(target.reasoning, message.reasoning) or None
            if message.status != "complete":
                target.status = message.status
            merged_into[message.key] = target.key
            continue
        message.parent = merged_into.get(message.parent)
        merged_into[message.key] = message.key
        by_key[message.key] = message
        out.append(message)
    return out, merged_into


def _convert(message: Any) -> tuple[Any, ...] | None:
    """(role, content, status, model slug) for a message to keep; (None, thoughts) for a
    skipped thoughts node; None for anything else skipped."""
    if not isinstance(message, dict):
        return None
    author = _dict(message.get("author"))
    role = author.get("role")
    content = _dict(message.get("content"))
    kind = content.get("content_type")
    metadata = _dict(message.get("metadata"))
    if kind == "thoughts":
        return (None, clean(_thoughts(content)) or None)
    if role not in ("user", "assistant", "tool") or kind in UNSEEN_TYPES:
        return None
    if metadata.get("is_visually_hidden_from_conversation"):
        return None
    text = _content_text(content)
    recipient = message.get("recipient")
    if role == "user":
        body = joined(text, _attachments(metadata))
    elif role == "assistant" and isinstance(recipient, str) and recipient not in ("all", ""):
        language = content.get("language") if isinstance(content.get("language"), str) else ""
        language = language if language.isalnum() else ""
        body = f"**Tool call** `{_label(recipient)}`\n\n{fence(text, language)}" if text else ""
    elif role == "tool":
        body = f"**Tool output** `{_label(author.get('name') or 'tool')}`\n\n{fence(text)}"
        body = body if text else ""
    else:
        body = text
    body = clean(body)
    if not body.strip():
        return None
    status = "complete" if message.get("status") in FINISHED else "interrupted"
    if role == "user":
        status = "complete"
    return ("user" if role == "user" else "assistant", body, status, metadata.get("model_slug"))


def _content_text(content: dict[str, Any]) -> str:
    kind = content.get("content_type")
    parts = content.get("parts")
    if isinstance(parts, list):
        return "\n".join(t for t in (_part_text(p) for p in parts) if t)
    if kind == "tether_quote":
        return joined(*(_str(content.get(k)) for k in ("title", "url", "text")))
    if kind == "tether_browsing_display":
        return _str(content.get("result")) or _str(content.get("summary"))
    if kind == "system_error":
        return joined(_str(content.get("name")), _str(content.get("text")))
    return _str(content.get("text"))


def _part_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return ""
    kind = part.get("content_type")
    if kind == "image_asset_pointer":
        return "[Image]"
    if kind in ("audio_asset_pointer", "real_time_user_audio_video_asset_pointer"):
        return "[Audio]"
    text = part.get("text")
    if isinstance(text, str):
        return text
    return f"[{_label(kind)}]" if isinstance(kind, str) else ""


def _thoughts(content: dict[str, Any]) -> str:
    pieces = []
    for thought in _list(content.get("thoughts")):
        if isinstance(thought, dict):
            pieces.append(joined(_str(thought.get("summary")), _str(thought.get("content"))))
    return joined(*pieces)


def _attachments(metadata: dict[str, Any]) -> str:
    names = [
        _label(a.get("name"))
        for a in _list(metadata.get("attachments"))
        if isinstance(a, dict) and isinstance(a.get("name"), str)
    ]
    return "\n".join(f"[Attached file: {name}]" for name in names)


def _message_time(node: dict[str, Any]) -> float | None:
    message = node.get("message")
    if not isinstance(message, dict):
        return None
    value = message.get("create_time")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if time_from_epoch(value) else None


def _label(value: Any) -> str:
    """A short name on one line, without backticks (it goes inside `...`)."""
    text = clean(value, 200) if isinstance(value, str) else "tool"
    return " ".join(text.replace("`", "'").split())[:100] or "tool"


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
