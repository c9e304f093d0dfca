"""What an uploaded file is, judged from its bytes first and its name second, and its name made
safe to keep and show."""

from __future__ import annotations

import re
import unicodedata

MAX_FILE = 25 * 1024 * 1024
MAX_MESSAGE = 50 * 1024 * 1024
MAX_NAME = 200

RASTER_IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp")
OOXML = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TEXT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".svg": "image/svg+xml",
    ".csv": "text/csv",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".json": "application/json",
    ".xml": "application/xml",
}
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class Unreadable(ValueError):
    """A file Hearth cannot read (the API's 415)."""


def safe_name(raw: str | None) -> str:
    """The last part of the name, without control or direction characters, at most 200."""
    name = unicodedata.normalize("NFC", raw or "")
    name = _UNSAFE_NAME.sub("", name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = name.lstrip(".").strip()
    if not name:
        return "attachment"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        keep = ext if dot and len(ext) <= 10 else ""
        name = name[: MAX_NAME - len(keep) - 1] + ("." + keep if keep else "")
    return name


def sniff(head: bytes, name: str) -> str:
    """The file's type from its first bytes (and, for text and zips, its extension);
    raises Unreadable for what Hearth cannot send to a model."""
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        if ext in OOXML:
            return OOXML[ext]
        raise Unreadable(
            "Hearth reads Word, PowerPoint and Excel files (.docx, .pptx, .xlsx) but not"
            " other zip archives."
        )
    if _is_text(head):
        if ext in TEXT_TYPES:
            return TEXT_TYPES[ext]
        if head.lstrip()[:5].lower() == b"<svg " or b"<svg" in head[:512].lower():
            return "image/svg+xml"
        return "text/plain"
    raise Unreadable(
        "Hearth cannot read this kind of file: it takes images (PNG, JPEG, GIF, WebP), PDF,"
        " Word, PowerPoint, Excel and text files (Markdown, CSV, HTML, source code)."
    )


def _is_text(head: bytes) -> bool:
    if b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 4  # a character cut at the end of the sample
    return True


def is_image(type: str) -> bool:
    return type in RASTER_IMAGES
