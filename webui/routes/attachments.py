"""Attachments: upload a file (the body is the file), fetch it back as a download.

An upload is kept (synced to disk) before it is answered, then read as the model will see
it: its type from its bytes, and a document's text extracted and cached, so a file Hearth
cannot read is refused now (415) rather than when the message is sent.
"""

from __future__ import annotations

import json
import logging
import tempfile
import zipfile
from pathlib import Path
from urllib.parse import quote, unquote

import bottle

from core.agent.attachments.kinds import (
    MAX_FILE,
    MAX_MESSAGE,
    Unreadable,
    is_image,
    safe_name,
    sniff,
)
from core.agent.attachments.parts import text_of
from core.agent.attachments.vision import takes_images
from core.errors import InvalidInput, NotFound
from core.store.attachments import TooLarge
from webui.http import MAX_BODY, BadJSON, fail, parse_json, reply

log = logging.getLogger("hearth.attachments")

# What a provider's API takes per image (Anthropic documents 5 MB; OpenAI's 20 MB is over
# Hearth's own 25 MB per file only by rounding, so it is not checked).
IMAGE_LIMITS = {"anthropic": 5 * 1024 * 1024}

# Served as themselves: what a browser can only show as a picture. Everything else is a
# download, as bytes (an SVG or HTML file is data, never a page of Hearth's origin).
_SAFE_DOWNLOAD_TYPES = {
    "application/pdf",
    "text/plain",
    "text/csv",
    "text/markdown",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def install(app: bottle.Bottle, hearth) -> None:
    store = hearth.store
    try:
        store.forget_unsent_attachments()
    except Exception:  # a read-only data folder, say: the uploads simply stay
        log.warning("could not forget old unsent attachments", exc_info=True)

    @app.post("/api/attachments")
    def upload():
        request = bottle.request
        chunked = bool(request.environ.get("hearth.chunked"))
        length = None if chunked else request.content_length
        if length is not None and length <= 0:
            raise fail(400, "empty_file", "The file is empty; there is nothing to attach.")
        name = safe_name(unquote(request.get_header("X-Filename") or "", errors="replace"))
        try:
            added = store.add_attachment(
                request.environ["wsgi.input"], name, "", limit=MAX_FILE, length=length
            )
        except TooLarge as exc:
            raise fail(413, "payload_too_large", str(exc)) from None
        found = store.attachment(added["id"])
        try:
            with found["path"].open("rb") as handle:
                kind = sniff(handle.read(4096), name)
            found["type"] = kind
            if not is_image(kind):
                text_of(store, found)  # read now: refused now if it cannot be, cached if it can
        except Unreadable as exc:
            store.forget_attachment(added["id"])
            raise fail(415, "unsupported_file", str(exc)) from None
        store.set_attachment_type(added["id"], kind)
        return reply({**added, "type": kind}, 201)

    @app.get("/api/attachments/<attachment_id>")
    def download(attachment_id: str):
        found = store.attachment(attachment_id)
        inline = is_image(found["type"])
        if inline:
            served = found["type"]
        elif found["type"] in _SAFE_DOWNLOAD_TYPES:
            served = found["type"]
        else:
            served = "application/octet-stream"
        disposition = "inline" if inline else "attachment"
        ascii_name = found["name"].encode("ascii", "replace").decode().replace('"', "'")
        response = bottle.HTTPResponse(
            found["path"].read_bytes(),
            status=200,
            headers={
                "Content-Type": served,
                "Content-Disposition": (
                    f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''"
                    f"{quote(found['name'], safe='')}"
                ),
                "Cache-Control": "private, max-age=31536000, immutable",
            },
        )
        return response


def check_attachments(hearth, session_id: str, ids: list, model: str | None) -> None:
    """Before anything is stored: 413 over the size of a message's files, 400 when the
    message carries an image and its model is known not to take images (an unknown model
    gets the image; its refusal becomes a sentence)."""
    images = []
    total = 0
    for attachment_id in ids:
        try:
            found = hearth.store.attachment(attachment_id)
        except (NotFound, InvalidInput):
            continue  # begin_run answers for it
        total += found["size"]
        if is_image(found["type"]):
            images.append((found["name"], found["size"]))
    if total > MAX_MESSAGE:
        raise fail(
            413,
            "payload_too_large",
            f"A message's files may add up to {MAX_MESSAGE // 1024**2} MB; these are"
            f" {total / 1024**2:.0f} MB. Send some of them in another message.",
        )
    if not images:
        return
    try:
        session = hearth.store.get_session(session_id, messages=False)
        config, model_name = hearth.settings.resolve(session, model)
    except Exception:  # no provider or no session: the run's own checks answer
        return
    overrides = hearth.settings.get().get("model_images")
    if takes_images(model_name, overrides, config, probe=True) is False:
        raise fail(
            400,
            "model_takes_no_images",
            f"The model {model_name} does not take images"
            f" ({', '.join(name for name, _ in images)}). Remove the"
            " image or pick a model that reads images.",
        )
    largest = max(images, key=lambda image: image[1])
    limit = IMAGE_LIMITS.get(getattr(config, "kind", ""))
    if limit is not None and largest[1] > limit:
        raise fail(
            413,
            "image_too_large",
            f"The image {largest[0]} is {largest[1] / 1024**2:.1f} MB; {config.name or 'this'}"
            f" provider takes images up to {limit // 1024**2} MB. Send a smaller image.",
        )


# --- a session exported with its files (a zip), and imported back ---------------------

EXPORT_JSON = "session.json"
EXPORT_FILES = "attachments/"
MAX_IMPORTED_FILES = 1000


def export_zip(hearth, session_id: str, name: str) -> bottle.HTTPResponse:
    """``session.json`` (the JSON export) and ``attachments/<id>``: the files its messages
    carry, stored as they are (images and PDFs are compressed already)."""
    store = hearth.store
    data = store.export_json(session_id)
    seen: dict[str, dict] = {}
    for message in data["messages"] + data["other_versions"]:
        for attached in message.get("attachments") or ():
            seen.setdefault(attached["id"], attached)
    folder = Path(hearth.paths.cache)
    folder.mkdir(parents=True, exist_ok=True)
    out = tempfile.TemporaryFile(dir=folder)
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(EXPORT_JSON, json.dumps(data, indent=1), zipfile.ZIP_DEFLATED)
        for attachment_id in seen:
            try:
                found = store.attachment(attachment_id)
            except NotFound:
                continue
            archive.write(found["path"], EXPORT_FILES + attachment_id, zipfile.ZIP_STORED)
    size = out.tell()
    out.seek(0)
    return bottle.HTTPResponse(
        out,
        status=200,
        headers={
            "Content-Type": "application/zip",
            "Content-Length": str(size),
            "Content-Disposition": f'attachment; filename="{name}.zip"',
            "Cache-Control": "no-store",
        },
    )


def import_zip(hearth, path: Path) -> dict | None:
    """Import a session exported by ``export_zip``; None if the zip is not one. Each file is
    kept again (its type found from its bytes, at most 25 MB inflated, files Hearth cannot
    read left out) and the messages point at the new copies."""
    store = hearth.store
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        return None
    with archive:
        try:
            info = archive.getinfo(EXPORT_JSON)
        except KeyError:
            return None
        with archive.open(info) as member:
            raw = member.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            raise fail(413, "payload_too_large", "The export's session.json is over 10 MB.")
        try:
            data = parse_json(raw)
        except BadJSON as exc:
            raise fail(400, "malformed_json", str(exc)) from None
        if not isinstance(data, dict):
            raise fail(400, "bad_request", "The export's session.json must be an object.")
        messages = [
            m
            for m in (data.get("messages") or []) + (data.get("other_versions") or [])
            if isinstance(m, dict) and isinstance(m.get("attachments"), list)
        ]
        named = {
            a["id"]: a
            for m in messages
            for a in m["attachments"]
            if isinstance(a, dict) and isinstance(a.get("id"), str)
        }
        copies: dict[str, str] = {}
        files = [i for i in archive.infolist() if i.filename.startswith(EXPORT_FILES)]
        for member_info in files[:MAX_IMPORTED_FILES]:
            old = member_info.filename[len(EXPORT_FILES) :]
            if old not in named:
                continue
            copy = _keep_imported(store, archive, member_info, named[old])
            if copy is not None:
                copies[old] = copy
    for message in messages:
        message["attachments"] = [
            {**a, "id": copies[a["id"]]}
            for a in message["attachments"]
            if isinstance(a, dict) and a.get("id") in copies
        ]
    return store.import_json(data)


def _keep_imported(store, archive: zipfile.ZipFile, info: zipfile.ZipInfo, meta: dict):
    name = safe_name(str(meta.get("name") or "attachment"))
    try:
        with archive.open(info) as stream:
            added = store.add_attachment(stream, name, "", limit=MAX_FILE)
    except (InvalidInput, zipfile.BadZipFile, OSError, EOFError):
        return None  # empty, too large or damaged: the message goes without it
    found = store.attachment(added["id"])
    try:
        with found["path"].open("rb") as handle:
            kind = sniff(handle.read(4096), name)
    except Unreadable:
        store.forget_attachment(added["id"])
        return None
    store.set_attachment_type(added["id"], kind)
    return added["id"]
