"""Reading an export file as a stream of conversations, a few kilobytes at a time.

The file is a zip (ChatGPT's or Claude's data export) or the ``conversations.json`` from one
(ChatGPT's newer exports split it into ``conversations-000.json``, ``-001``...). Each JSON
file is a list of conversations, parsed incrementally with ijson: only one conversation is
in memory at a time, however large the file.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

import ijson

from core.store.importers import chatgpt, claude
from core.store.importers.chats import BadExport, ImportedChat

MAX_DEPTH = 64  # a ChatGPT conversation nests about 8 deep
MAX_UNPACKED = 16 * 1024**3  # what a zip may unpack to in conversation files, in all
_PART = re.compile(r"conversations(?:-(\d+))?\.json", re.IGNORECASE)
FORMATS = {"chatgpt": chatgpt, "claude": claude}
Progress = Callable[[int], None]  # bytes read so far (of ``ExportFile.size``)


def sniff(path: Path) -> str:
    """ "zip", "list" (a JSON list), "object" (a JSON object) or "unknown"."""
    with open(path, "rb") as file:
        head = file.read(4096)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if stripped.startswith(b"["):
        return "list"
    if stripped.startswith(b"{"):
        return "object"
    return "unknown"


class ExportFile:
    """The conversation files of an export, and their size in all (for progress)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.kind = sniff(path)
        if self.kind == "zip":
            self.parts = _zip_parts(path)
            self.size = sum(info.file_size for _, info in self.parts)
        elif self.kind == "list":
            self.parts = [(path.name if path.suffix == ".json" else "conversations.json", None)]
            self.size = path.stat().st_size
        else:
            raise BadExport(
                "This file is not a ChatGPT or Claude export: send the .zip you downloaded or"
                " the conversations.json inside it."
            )
        self.format: str | None = None

    def check(self, progress: Progress | None = None) -> int:
        """Read the whole file once without keeping anything: it must be JSON lists of
        conversations (objects) nested at most ``MAX_DEPTH`` deep, of one known format.
        Returns how many conversations it holds; raises BadExport."""
        count = 0
        for name, stream in self._streams(progress):
            count += self._check_one(name, stream)
        return count

    def chats(self, progress: Progress | None = None) -> Iterator[ImportedChat | None]:
        """Each conversation as a chat (None for one skipped as empty), once ``check`` passed."""
        reader = FORMATS[self.format or "chatgpt"]
        for name, stream in self._streams(progress):
            with _explained(name, stream, 0):
                for item in ijson.items(stream, "item", use_float=True):
                    yield reader.to_chat(item)

    def _streams(self, progress: Progress | None) -> Iterator[tuple[str, _Counted]]:
        done = 0
        with ExitStack() as stack:
            archive = None
            if self.kind == "zip":
                archive = stack.enter_context(zipfile.ZipFile(self.path))
            for name, info in self.parts:
                with ExitStack() as inner:
                    raw = (
                        inner.enter_context(_open_member(archive, info))
                        if archive is not None
                        else inner.enter_context(open(self.path, "rb"))
                    )
                    counted = _Counted(raw, done, progress)
                    if not counted.peek_start().startswith(b"["):
                        raise BadExport(f"{name} does not hold a list of conversations.")
                    yield name, counted
                    done = counted.total

    def _check_one(self, name: str, stream: _Counted) -> int:
        # Events, not objects: nothing is kept, and nesting is counted before ijson's
        # prefixes (which grow with the depth at every level) could fill the memory.
        depth = index = 0
        first: dict[str, bool] = {}
        with _explained(name, stream, index):
            for event, value in ijson.basic_parse(stream, use_float=True):
                if event == "start_map" or event == "start_array":
                    depth += 1
                    if depth == 2:
                        index += 1
                        if event != "start_map":
                            raise _not_a_conversation(name, index)
                    elif depth > MAX_DEPTH:
                        raise BadExport(
                            f"Conversation {index} of {name} nests deeper than {MAX_DEPTH}"
                            " levels; a real export never does."
                        )
                elif event == "end_map" or event == "end_array":
                    depth -= 1
                    if depth == 1 and self.format is None:
                        self._detect(first, name, index)
                elif depth == 1:
                    raise _not_a_conversation(name, index + 1)
                elif depth == 2 and event == "map_key" and self.format is None:
                    first[value] = True
        return index

    def _detect(self, keys: dict[str, bool], name: str, index: int) -> None:
        for key, reader in FORMATS.items():
            if reader.looks_like(keys):
                self.format = key
                return
        raise BadExport(f"Item {index} of {name} is neither a ChatGPT nor a Claude conversation.")


def _not_a_conversation(name: str, index: int) -> BadExport:
    return BadExport(f"Item {index} of {name} is not a conversation (an object).")


@contextmanager
def _explained(name: str, stream: _Counted, index: int) -> Iterator[None]:
    """The reader's errors as a BadExport that says where the file went wrong."""
    try:
        yield
    except ijson.JSONError as exc:
        raise BadExport(
            f"{name} is not valid JSON: it is damaged or cut short near byte"
            f" {stream.local:,} ({_short(exc)})."
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise BadExport(f"The zip is damaged: {name} cannot be unpacked ({_short(exc)}).") from None


def _zip_parts(path: Path) -> list[tuple[str, zipfile.ZipInfo]]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BadExport(f"The zip file is damaged or incomplete ({_short(exc)}).") from None
    single, parts = [], []
    for info in infos:
        match = _PART.fullmatch(PurePosixPath(info.filename).name)
        if match is None or info.is_dir():
            continue
        (parts if match.group(1) else single).append((int(match.group(1) or 0), info))
    # Newer ChatGPT exports split the conversations into numbered parts; use them when there.
    chosen = sorted(parts or single, key=lambda p: (p[1].filename.count("/"), p[0]))
    if not chosen:
        raise BadExport(
            "The zip holds no conversations.json: is it a ChatGPT or Claude data export?"
        )
    if parts:
        depth = chosen[0][1].filename.count("/")
        chosen = [p for p in chosen if p[1].filename.count("/") == depth]
    else:
        chosen = chosen[:1]
    if sum(info.file_size for _, info in chosen) > MAX_UNPACKED:
        raise BadExport("The zip's conversations unpack to more than 16 GB; Hearth stops there.")
    for _, info in chosen:
        if info.flag_bits & 0x1:
            raise BadExport("The zip is encrypted; unpack it and send conversations.json.")
    return [(PurePosixPath(info.filename).name, info) for _, info in chosen]


def _open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> IO[bytes]:
    try:
        return archive.open(info)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error) as exc:
        raise BadExport(f"The zip's {info.filename} cannot be unpacked ({_short(exc)}).") from None


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:120]


class _Counted:
    """A binary stream that counts what is read through it and reports progress."""

    REPORT_EVERY = 1 << 20

    def __init__(self, raw: IO[bytes], before: int, progress: Progress | None) -> None:
        self.raw = raw
        self.before = before
        self.local = 0
        self.progress = progress
        self._reported = 0
        self._head = b""

    @property
    def total(self) -> int:
        return self.before + self.local

    def peek_start(self) -> bytes:
        """The first non-blank bytes (after a UTF-8 byte order mark), kept for ``read``."""
        while len(self._head) < 65536:
            chunk = self.raw.read(4096)
            if not chunk:
                break
            self._head += chunk
            if self._head.removeprefix(b"\xef\xbb\xbf").strip():
                break
        self._head = self._head.removeprefix(b"\xef\xbb\xbf")
        return self._head.lstrip()

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing first, to see bytes or text
            return b""
        if self._head:
            data, self._head = self._head, b""
        else:
            data = self.raw.read(size if size and size > 0 else 1 << 16)
        self.local += len(data)
        if self.progress is not None and self.local - self._reported >= self.REPORT_EVERY:
            self._reported = self.local
            self.progress(self.total)
        return data
