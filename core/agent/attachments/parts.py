"""A user message's attachments as the model is given them: ``parts`` of the message.

An image is ``{"type": "image", "media_type", "data" (base64)}`` for a model that may take
images, else a line of text saying it was left out; a document is ``{"type": "text",
"text"}``: its name and its extracted text (cached next to the file after the first time).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from core.agent.attachments.extract import document_text
from core.agent.attachments.kinds import Unreadable, is_image
from core.errors import NotFound


def with_parts(
    store: Any,
    history: Sequence[Mapping[str, Any]],
    images: bool | None | Callable[[], bool | None],
) -> list[dict[str, Any]]:
    """``history`` with each user message's attachments loaded into ``parts``. ``images``
    says whether the model takes images (or is asked, once, when the first image comes)."""
    answer: list[bool | None] = []

    def takes() -> bool | None:
        if not answer:
            answer.append(images() if callable(images) else images)
        return answer[0]

    out = []
    for message in history:
        attached = message.get("attachments") if message.get("role") == "user" else None
        if not attached:
            out.append(dict(message))
            continue
        out.append({**message, "parts": [_part(store, a, takes) for a in attached]})
    return out


def has_images(attachments: Sequence[Mapping[str, Any]]) -> bool:
    return any(is_image(str(a.get("type"))) for a in attachments)


def text_of(store: Any, found: Mapping[str, Any]) -> str:
    """The document's text, from the cache or read now (and cached)."""
    cached = store.cached_text(found["sha256"])
    if cached is not None:
        return cached
    text = document_text(found["path"], found["type"], found["name"])
    store.cache_text(found["sha256"], text)
    return text


def _part(
    store: Any, attachment: Mapping[str, Any], takes: Callable[[], bool | None]
) -> dict[str, Any]:
    name = attachment.get("name", "attachment")
    try:
        found = store.attachment(attachment.get("id"))
    except NotFound:
        return {"type": "text", "text": f"[Attached file {name}: no longer kept by Hearth.]"}
    if is_image(found["type"]):
        if takes() is False:
            return {"type": "text", "text": f"[Image {name}: this model does not take images.]"}
        data = base64.b64encode(found["path"].read_bytes()).decode("ascii")
        return {"type": "image", "media_type": found["type"], "data": data}
    try:
        text = text_of(store, found)
    except Unreadable as exc:
        text = str(exc)
    return {"type": "text", "text": f"<attachment name={_quoted(name)}>\n{text}\n</attachment>"}


def _quoted(name: str) -> str:
    return '"' + name.replace('"', "'") + '"'
