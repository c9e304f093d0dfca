"""ChatGPT and Claude data exports, written by hand from their public structure (no real
person's data), for the import tests and the import benchmark."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def gpt_message(
    role: str,
    text: str | None = None,
    *,
    at: float | None = None,
    content: dict[str, Any] | None = None,
    hidden: bool = False,
    recipient: str = "all",
    name: str | None = None,
    model: str | None = None,
    status: str = "finished_successfully",
    **metadata: Any,
) -> dict[str, Any]:
    meta: dict[str, Any] = dict(metadata)
    if hidden:
        meta["is_visually_hidden_from_conversation"] = True
    if model:
        meta["model_slug"] = model
    return {
        "id": "m",
        "author": {"role": role, "name": name, "metadata": {}},
        "create_time": at,
        "update_time": None,
        "content": content or {"content_type": "text", "parts": [text or ""]},
        "status": status,
        "end_turn": True,
        "weight": 1.0,
        "metadata": meta,
        "recipient": recipient,
    }


def gpt_conversation(
    nodes: dict[str, tuple[str | None, dict[str, Any] | None]],
    *,
    current: str | None,
    title: str = "A chat",
    model: str | None = "gpt-4o",
    created: float | None = T0,
    updated: float | None = T0 + 600,
) -> dict[str, Any]:
    """``nodes``: id → (parent id, message or None); children lists follow the dict order."""
    mapping: dict[str, Any] = {}
    for key, (parent, message) in nodes.items():
        if isinstance(message, dict):
            message = {**message, "id": key}
        mapping[key] = {"id": key, "message": message, "parent": parent, "children": []}
    for key, (parent, _) in nodes.items():
        if parent in mapping:
            mapping[parent]["children"].append(key)
    return {
        "title": title,
        "create_time": created,
        "update_time": updated,
        "mapping": mapping,
        "moderation_results": [],
        "current_node": current,
        "plugin_ids": None,
        "conversation_id": f"c-{title}",
        "conversation_template_id": None,
        "gizmo_id": None,
        "is_archived": False,
        "safe_urls": [],
        "default_model_slug": model,
        "id": f"c-{title}",
    }


def simple_gpt(title: str, turns: int = 2, at: float = T0) -> dict[str, Any]:
    """A plain conversation: root, hidden system message, then question/answer turns."""
    nodes: dict[str, tuple[str | None, dict[str, Any] | None]] = {
        "root": (None, None),
        "sys": ("root", gpt_message("system", "", hidden=True)),
    }
    parent = "sys"
    for turn in range(turns):
        nodes[f"u{turn}"] = (parent, gpt_message("user", f"{title} question {turn}", at=at + turn))
        nodes[f"a{turn}"] = (
            f"u{turn}",
            gpt_message("assistant", f"{title} answer {turn}", at=at + turn + 0.5),
        )
        parent = f"a{turn}"
    return gpt_conversation(nodes, current=parent, title=title, created=at, updated=at + turns)


def claude_message(
    sender: str,
    text: str = "",
    *,
    key: str,
    at: str = "2024-05-01T10:00:00.000000Z",
    content: list[dict[str, Any]] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    files: list[dict[str, Any]] | None = None,
    parent: str | None = None,
) -> dict[str, Any]:
    message = {
        "uuid": key,
        "text": text,
        "content": content if content is not None else [{"type": "text", "text": text}],
        "sender": sender,
        "created_at": at,
        "updated_at": at,
        "attachments": attachments or [],
        "files": files or [],
    }
    if parent is not None:
        message["parent_message_uuid"] = parent
    return message


def claude_conversation(
    messages: list[dict[str, Any]],
    *,
    name: str = "A Claude chat",
    created: str = "2024-05-01T09:59:00.000000Z",
    updated: str = "2024-05-01T10:30:00.000000Z",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "uuid": "conv-" + name.replace(" ", "-"),
        "name": name,
        "created_at": created,
        "updated_at": updated,
        "account": {"uuid": "acct-1"},
        "chat_messages": messages,
        **extra,
    }


def write_json(path: Path, conversations: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(conversations), encoding="utf-8")
    return path


def zip_bytes(files: dict[str, Any]) -> bytes:
    """A zip whose members are ``name: JSON value`` (or bytes, written as they are)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in files.items():
            data = value if isinstance(value, bytes) else json.dumps(value).encode("utf-8")
            archive.writestr(name, data)
    return buffer.getvalue()


def generated_gpt(count: int, turns: int = 10, branches_every: int = 5):
    """``count`` made-up conversations, one at a time (for the benchmark): ``turns`` turns
    each, and every ``branches_every``-th answer regenerated once."""
    for index in range(count):
        at = T0 + index * 3600
        nodes: dict[str, tuple[str | None, dict[str, Any] | None]] = {
            "root": (None, None),
            "sys": ("root", gpt_message("system", "", hidden=True)),
        }
        parent = "sys"
        for turn in range(turns):
            question = f"Question {turn} of chat {index}: how would you plan a garden path? " * 3
            answer = f"Answer {turn}: lay gravel on a firm base, edge it, and water it in. " * 12
            nodes[f"u{turn}"] = (parent, gpt_message("user", question, at=at + turn * 60))
            if turn % branches_every == 0:
                nodes[f"b{turn}"] = (
                    f"u{turn}",
                    gpt_message("assistant", "An older " + answer, at=at + turn * 60 + 5),
                )
            nodes[f"a{turn}"] = (
                f"u{turn}",
                gpt_message("assistant", answer, at=at + turn * 60 + 10, model="gpt-4o"),
            )
            parent = f"a{turn}"
        yield gpt_conversation(
            nodes, current=parent, title=f"Garden chat {index}", created=at, updated=at + 3600
        )
