"""Files to attach in tests, made here: small PDFs, DOCX files, PNGs and hostile ones."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib


def png(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny, red) PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\0" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def pdf(
    pages: list[str] | None = None, *, streams: list[bytes] | None = None, padding: int = 0
) -> bytes:
    """A PDF with one page per text (Helvetica), or with the given raw content streams;
    ``padding`` adds that many bytes of random image-like streams no page draws (the bulk
    of a real scanned or illustrated PDF)."""
    if streams is None:
        streams = [
            zlib.compress(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1"))
            for text in pages or ["Hello PDF"]
        ]
    count = len(streams)
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(f"{4 + 2 * i} 0 R".encode() for i in range(count))
        + f"] /Count {count} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, stream in enumerate(streams):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3"
            f" 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(
            f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode()
            + stream
            + b"\nendstream"
        )
    for start in range(0, padding, 1024 * 1024):
        blob = os.urandom(min(1024 * 1024, padding - start))
        objects.append(
            f"<< /Type /XObject /Subtype /Image /Width 1 /Height {len(blob) // 3} /ColorSpace"
            f" /DeviceRGB /BitsPerComponent 8 /Length {len(blob)} >>\nstream\n".encode()
            + blob
            + b"\nendstream"
        )
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def pdf_bomb(inflated: int = 120 * 1024 * 1024) -> bytes:
    """A small PDF whose one content stream inflates to ``inflated`` bytes."""
    squeezer = zlib.compressobj(9)
    block = b" " * (1024 * 1024)
    packed = b"".join(squeezer.compress(block) for _ in range(inflated // len(block)))
    return pdf(streams=[packed + squeezer.flush()])


def docx(text: str = "Hello DOCX") -> bytes:
    document = (
        '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
        'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
        f"{text}</w:t></w:r></w:p></w:body></w:document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", document)
    return out.getvalue()


def docx_bomb(inflated: int = 80 * 1024 * 1024) -> bytes:
    """A DOCX whose document.xml inflates to ``inflated`` bytes (streamed in, never held)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(b"<w:document><w:body><w:p><w:r><w:t>")
            block = b"a" * (1024 * 1024)
            for _ in range(inflated // len(block)):
                member.write(block)
            member.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return out.getvalue()


SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script>'
    b'<circle r="5"/></svg>'
)
