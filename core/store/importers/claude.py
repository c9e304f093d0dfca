"""A Claude conversation (one item of a Claude export's ``conversations.json``) as an
``ImportedChat``.

Each message's ``content`` parts are kept: ``text`` as the message's text, ``thinking`` as
its reasoning, ``tool_use`` and ``tool_result`` as marked blocks of its text (**Tool call**
`name` with the input as JSON, **Tool result** `name` with the output), for the same reason
as ChatGPT's tools: they were not Hearth's tools, and a provider refuses a tool result whose
call it cannot see. Attachments' extracted text is appended to the message it came with,
under **Attached file: name**; a file without extracted text leaves its name.

Messages that carry ``parent_message_uuid`` form a tree (edits and retries are versions),
shown down to ``current_leaf_message_uuid`` when the export has it, else to the last message
listed; without parents the messages are one path in the order listed.
"""

from __future__ import annotations

import json
from typing import Any

from core import clock
from core.store.importers.chats import (
    ImportedChat,
    ImportedMessage,
    clean,
    fence,
    joined,
    short,
    time_from_iso,
    title,
)
from core.store.importers.tree import parents_first

ROLES = {"human": "user", "assistant": "assistant"}


def looks_like(item: dict[str, Any]) -> bool:
    return "chat_messages" in item or ("uuid" in item and "name" in item)


def to_chat(conversation: dict[str, Any]) -> ImportedChat | None:
    raw = conversation.get("chat_messages")
    if not isinstance(raw, list):
        return None
    entries: dict[str, dict[str, Any]] = {}
    listed: dict[str, int] = {}
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            continue
        key = item.get("uuid")
        if not isinstance(key, str) or key in entries:
            key = f"#{index}"
        entries[key] = item
        listed[key] = index
    keys = list(entries)
    if any(isinstance(e.get("parent_message_uuid"), str) for e in entries.values()):
        parent_of = {k: _str_or_none(e.get("parent_message_uuid")) for k, e in entries.items()}
    else:
        parent_of = {k: (keys[i - 1] if i else None) for i, k in enumerate(keys)}
    order = parents_first(parent_of, lambda k: (listed[k], k))

    started = time_from_iso(conversation.get("created_at"))
    anchor: dict[str, str | None] = {}
    when: dict[str, str] = {}
    kept: list[ImportedMessage] = []
    for key, parent in order:
        entry = entries[key]
        floor = when[parent] if parent is not None else started
        known = [t for t in (time_from_iso(entry.get("created_at")), floor) if t]
        when[key] = max(known) if known else clock.now()
        up = anchor[parent] if parent is not None else None
        role = ROLES.get(entry.get("sender"))
        content, reasoning = _content(entry) if role else ("", None)
        if not content.strip() and not reasoning:
            anchor[key] = up
            continue
        kept.append(
            ImportedMessage(
                key=key,
                parent=up,
                role=role,
                content=content,
                created_at=when[key],
                reasoning=reasoning if role == "assistant" else None,
            )
        )
        anchor[key] = key
    if not kept:
        return None
    leaf = conversation.get("current_leaf_message_uuid")
    shown = anchor.get(leaf) if isinstance(leaf, str) else None
    if shown is None:
        last_listed = max(anchor, key=lambda k: listed[k])
        shown = anchor[last_listed] or kept[-1].key
    created = started or kept[0].created_at
    latest = max(m.created_at for m in kept)
    updated = time_from_iso(conversation.get("updated_at"))
    return ImportedChat(
        title=title(conversation.get("name") or ""),
        created_at=created,
        updated_at=max(updated or latest, latest, created),
        model=short(conversation.get("model")),
        messages=kept,
        shown_leaf=shown,
    )


def _content(entry: dict[str, Any]) -> tuple[str, str | None]:
    texts: list[str] = []
    thinking: list[str] = []
    for part in _list(entry.get("content")):
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind == "text":
            texts.append(_str(part.get("text")))
        elif kind == "thinking":
            thinking.append(_str(part.get("thinking")))
        elif kind == "tool_use":
            arguments = json.dumps(part.get("input"), indent=2, ensure_ascii=False, default=str)
            texts.append(
                f"**Tool call** `{_label(part.get('name'))}`\n\n{fence(arguments, 'json')}"
            )
        elif kind == "tool_result":
            output = _result_text(part.get("content"))
            mark = " (error)" if part.get("is_error") is True else ""
            texts.append(f"**Tool result** `{_label(part.get('name'))}`{mark}\n\n{fence(output)}")
    text = joined(*texts) if any(t.strip() for t in texts) else _str(entry.get("text"))
    attached = []
    names_with_text = set()
    for attachment in _list(entry.get("attachments")):
        if not isinstance(attachment, dict):
            continue
        name = _label(attachment.get("file_name") or "file")
        extracted = _str(attachment.get("extracted_content"))
        if extracted:
            names_with_text.add(name)
            attached.append(f"**Attached file: {name}**\n\n{fence(extracted)}")
        else:
            attached.append(f"[Attached file: {name}]")
    for file in _list(entry.get("files")) + _list(entry.get("files_v2")):
        if isinstance(file, dict) and isinstance(file.get("file_name"), str):
            name = _label(file["file_name"])
            if name not in names_with_text and f"[Attached file: {name}]" not in attached:
                attached.append(f"[Attached file: {name}]")
    return clean(joined(text, *attached)), clean(joined(*thinking)) or None


def _result_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    pieces = []
    for item in _list(value):
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            pieces.append(item["text"])
        elif isinstance(item, str):
            pieces.append(item)
    return "\n".join(pieces)


def _label(value: Any) -> str:
    text = clean(value, 400) if isinstance(value, str) else "tool"
    return " ".join(text.replace("`", "'").replace("*", "").split())[:200] or "tool"


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
