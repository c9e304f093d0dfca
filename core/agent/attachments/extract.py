"""A document's text, for models: PDF with pypdf, Word/PowerPoint/Excel read straight from
their zip of XML, text files decoded. Every reader has limits a hostile file cannot pass:

- a PDF: pypdf's own caps on each decompressed stream (75 MB, so a flate bomb stops with
  LimitReachedError), at most ``MAX_PAGES`` pages, ``MAX_TEXT`` characters and ``DEADLINE``
  seconds (checked between pages);
- a .docx/.pptx/.xlsx: at most ``MAX_INFLATED`` bytes decompressed across its parts, counted
  while reading (a zip bomb's declared sizes may lie), and no XML with a DOCTYPE (no entity
  expansion);
- every text: cut at ``MAX_TEXT`` characters, with a note saying so.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from core.agent.attachments.kinds import OOXML, Unreadable, is_image

MAX_PAGES = 200
MAX_TEXT = 200_000
MAX_INFLATED = 64 * 1024 * 1024
DEADLINE = 30.0


def document_text(path: Path, type: str, name: str) -> str:
    """The text a model is given for the file; raises Unreadable with a sentence."""
    if is_image(type):
        raise ValueError("an image has no document text")
    if type == "application/pdf":
        text, note = _pdf(path)
    elif type in OOXML.values():
        text, note = _ooxml(path, type)
    else:
        text, note = _plain(path)
    if len(text) > MAX_TEXT:
        text, note = text[:MAX_TEXT], note or f"cut at {MAX_TEXT:,} characters"
    return text + (f"\n[Hearth: {note}.]" if note else "")


def _plain(path: Path) -> tuple[str, str]:
    with path.open("rb") as handle:
        raw = handle.read(MAX_TEXT * 4 + 1)
    return raw.decode("utf-8", errors="replace"), ""


def _pdf(path: Path) -> tuple[str, str]:
    import pypdf  # imported on first use: it is not needed until a PDF arrives
    from pypdf.errors import LimitReachedError, PyPdfError

    start = time.monotonic()
    parts: list[str] = []
    size = 0
    note = ""
    try:
        reader = pypdf.PdfReader(path)
        if reader.is_encrypted:
            raise Unreadable("This PDF is encrypted; Hearth cannot read its text.")
        pages = len(reader.pages)
        for number, page in enumerate(reader.pages):
            if number >= MAX_PAGES:
                note = f"only the first {MAX_PAGES} of {pages} pages were read"
                break
            if time.monotonic() - start > DEADLINE:
                note = f"reading stopped after {number} of {pages} pages ({DEADLINE:.0f} s)"
                break
            try:
                text = page.extract_text() or ""
            except LimitReachedError:
                raise Unreadable(
                    "This PDF holds a stream that expands past Hearth's limit; it is not read."
                ) from None
            parts.append(f"--- page {number + 1} ---\n{text}")
            size += len(text)
            if size > MAX_TEXT:
                note = f"cut at {MAX_TEXT:,} characters (page {number + 1} of {pages})"
                break
    except Unreadable:
        raise
    except LimitReachedError:
        raise Unreadable(
            "This PDF expands past Hearth's limits when opened; it is not read."
        ) from None
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise Unreadable(f"Hearth could not read this PDF ({type(exc).__name__}).") from None
    return "\n".join(parts), note


_PARTS = {
    ".docx": ("word/document.xml",),
    ".pptx": ("ppt/slides/slide",),
    ".xlsx": ("xl/sharedStrings.xml", "xl/worksheets/sheet"),
}


def _ooxml(path: Path, type: str) -> tuple[str, str]:
    ext = next(e for e, t in OOXML.items() if t == type)
    budget = [MAX_INFLATED]
    try:
        with zipfile.ZipFile(path) as archive:
            names = [
                n
                for n in archive.namelist()
                if n.endswith(".xml") and any(n.startswith(p) for p in _PARTS[ext])
            ]
            names.sort(key=_natural)
            if not names:
                raise Unreadable("This file does not look like a Word, PowerPoint or Excel file.")
            if ext == ".xlsx":
                texts = _sheets(archive, names, budget)
            else:
                texts = [_xml_text(_read_capped(archive, n, budget), ext) for n in names]
    except Unreadable:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ElementTree.ParseError, OSError, EOFError):
        raise Unreadable("This Office file is damaged; Hearth cannot read it.") from None
    return "\n\n".join(t for t in texts if t), ""


def _sheets(archive: zipfile.ZipFile, names: list[str], budget: list[int]) -> list[str]:
    """Each worksheet as tab-separated rows, its shared-string cells (t="s") looked up."""
    shared: list[str] = []
    if "xl/sharedStrings.xml" in names:
        root = _xml_root(_read_capped(archive, "xl/sharedStrings.xml", budget))
        shared = ["".join(t.text or "" for t in si.iter() if _tag(t) == "t") for si in root]
    texts = []
    for number, name in enumerate((n for n in names if "worksheets/" in n), 1):
        root = _xml_root(_read_capped(archive, name, budget))
        rows = []
        for row in (e for e in root.iter() if _tag(e) == "row"):
            cells = []
            for cell in (c for c in row if _tag(c) == "c"):
                kind = cell.get("t")
                if kind == "inlineStr":
                    cells.append("".join(t.text or "" for t in cell.iter() if _tag(t) == "t"))
                    continue
                value = next((v.text or "" for v in cell if _tag(v) == "v"), "")
                if kind == "s" and value.isdigit() and int(value) < len(shared):
                    value = shared[int(value)]
                cells.append(value)
            if any(cells):
                rows.append("\t".join(cells))
        if rows:
            texts.append(f"Sheet {number}\n" + "\n".join(rows))
    return texts


def _tag(element: ElementTree.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _natural(name: str) -> tuple[int, str]:
    digits = "".join(c for c in name if c.isdigit())
    return (int(digits) if digits else 0, name)


def _read_capped(archive: zipfile.ZipFile, name: str, budget: list[int]) -> bytes:
    out = io.BytesIO()
    with archive.open(name) as member:
        while chunk := member.read(1024 * 1024):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise Unreadable(
                    f"This file expands to more than {MAX_INFLATED // 1024**2} MB when"
                    " opened (a zip bomb?); Hearth does not read it."
                )
            out.write(chunk)
    return out.getvalue()


def _xml_root(data: bytes) -> ElementTree.Element:
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
        raise Unreadable("This Office file holds XML with a DOCTYPE, which Hearth does not read.")
    return ElementTree.fromstring(data)


def _xml_text(data: bytes, ext: str) -> str:
    root = _xml_root(data)
    paragraphs: list[str] = []
    line: list[str] = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag in ("p", "row", "si") and line:
            paragraphs.append(("\t" if tag == "row" else "").join(line))
            line = []
        if tag in ("t", "v") and element.text:
            line.append(element.text)
    if line:
        paragraphs.append("".join(line))
    return "\n".join(paragraphs)
