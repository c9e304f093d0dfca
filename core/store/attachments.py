"""Attachments: files kept in ``DATA/attachments``, named by their sha256, one copy per content.

Each upload is a row (its own id, name and type); rows with the same bytes share one file.
A file is written and synced before its row is committed, so an id the API has answered
always has its bytes, and a message that lists it (``message_attachments``) keeps it: it
survives a crash between upload and send, and goes when the last session whose messages
refer to it is deleted. An upload no message ever took is forgotten after a week.
Extracted text is cached next to the file as ``<sha256>.txt``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO

from core import clock
from core.errors import InvalidInput, NotFound
from core.ids import check_id, new_id
from core.paths import make_private_dir

CHUNK = 1024 * 1024
MAX_PER_MESSAGE = 10
UNSENT_KEPT = timedelta(days=7)
_COLUMNS = "id, name, type, size"


class TooLarge(InvalidInput):
    """The upload is over the size limit it was given."""


def attachment_row(row: sqlite3.Row | tuple) -> dict[str, Any]:
    return {"id": row[0], "name": row[1], "type": row[2], "size": row[3]}


def link_attachments(
    conn: sqlite3.Connection, message_id: str, ids: Iterable[Any]
) -> list[dict[str, Any]]:
    """Make the stored message carry these attachments (the caller holds a write transaction)."""
    ids = list(ids)
    if len(ids) > MAX_PER_MESSAGE:
        raise InvalidInput(f"A message carries at most {MAX_PER_MESSAGE} attachments.")
    shown = []
    for idx, attachment_id in enumerate(ids):
        check_id(attachment_id, "attachment id")
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM attachments WHERE id = ?", (attachment_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"No attachment has the id {attachment_id}; upload it again.")
        conn.execute(
            "INSERT INTO message_attachments (message_id, idx, attachment_id) VALUES (?, ?, ?)",
            (message_id, idx, attachment_id),
        )
        shown.append(attachment_row(row))
    if shown:
        conn.execute(
            "UPDATE messages SET attachments = ? WHERE id = ?", (json.dumps(shown), message_id)
        )
    return shown


def link_kept_attachments(conn: sqlite3.Connection, message_id: str, ids: list[str]) -> None:
    """An imported message's attachments: those this store holds (an export of this Hearth,
    or files the import brought in); the others are left out."""
    kept = []
    for attachment_id in ids[:MAX_PER_MESSAGE]:
        try:
            check_id(attachment_id, "attachment id")
        except InvalidInput:
            continue
        if conn.execute("SELECT 1 FROM attachments WHERE id = ?", (attachment_id,)).fetchone():
            kept.append(attachment_id)
    if kept:
        link_attachments(conn, message_id, kept)


class AttachmentsMixin:
    db: Any
    paths: Any

    @property
    def attachments_dir(self) -> Path:
        return self.paths.data / "attachments"

    def add_attachment(
        self, stream: BinaryIO, name: str, type: str, *, limit: int, length: int | None = None
    ) -> dict[str, Any]:
        """Keep the bytes ``stream`` gives (``length`` of them, or to its end); raises TooLarge
        past ``limit`` bytes and InvalidInput for an empty file. Returns the new row."""
        folder = self.attachments_dir
        make_private_dir(folder)
        digest = hashlib.sha256()
        size = 0
        handle, temp_name = tempfile.mkstemp(dir=folder, prefix="upload-", suffix=".part")
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out:
                while length is None or size < length:
                    want = CHUNK if length is None else min(CHUNK, length - size)
                    chunk = stream.read(want)
                    if not chunk:
                        if length is not None:
                            raise InvalidInput("The upload stopped before the file arrived.")
                        break
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(f"The file is larger than {limit // 1024**2} MB.")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if size == 0:
                raise InvalidInput("The file is empty; there is nothing to attach.")
            sha = digest.hexdigest()
            attachment_id = new_id()
            with self.db.write() as conn:
                target = self.attachment_file(sha)
                if target.exists():
                    temp.unlink()
                else:
                    os.replace(temp, target)
                    _sync_dir(folder)
                conn.execute(
                    "INSERT INTO attachments (id, sha256, name, type, size, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (attachment_id, sha, name, type, size, clock.now()),
                )
        finally:
            temp.unlink(missing_ok=True)
        return {"id": attachment_id, "name": name, "type": type, "size": size}

    def attachment(self, attachment_id: Any) -> dict[str, Any]:
        """The attachment's row, with ``sha256`` and ``path`` (its bytes)."""
        check_id(attachment_id, "attachment id")
        with self.db.connection() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS}, sha256 FROM attachments WHERE id = ?", (attachment_id,)
            ).fetchone()
        if row is None:
            raise NotFound(f"No attachment has the id {attachment_id}.")
        found = attachment_row(row)
        found["sha256"] = row[4]
        found["path"] = self.attachment_file(row[4])
        return found

    def set_attachment_type(self, attachment_id: str, type: str) -> None:
        """Record the type Hearth found the file to be (from its bytes)."""
        with self.db.write() as conn:
            conn.execute("UPDATE attachments SET type = ? WHERE id = ?", (type, attachment_id))

    def attachment_file(self, sha256: str) -> Path:
        return self.attachments_dir / sha256

    def cached_text(self, sha256: str) -> str | None:
        try:
            return (self.attachments_dir / f"{sha256}.txt").read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def cache_text(self, sha256: str, text: str) -> None:
        """Keep a file's extracted text (written whole, then renamed into place)."""
        target = self.attachments_dir / f"{sha256}.txt"
        handle, temp = tempfile.mkstemp(dir=self.attachments_dir, prefix="text-", suffix=".part")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, target)

    def forget_attachment(self, attachment_id: str) -> None:
        """Drop an upload no message carries (one Hearth could not read, say)."""
        self._free_unused([attachment_id])

    def delete_session(self, session_id: str) -> None:
        """Delete the session (as the sessions mixin does), then the files only it used."""
        with self.db.connection() as conn:
            used = [
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT l.attachment_id FROM message_attachments AS l"
                    " JOIN messages AS m ON m.id = l.message_id WHERE m.session_id = ?",
                    (session_id,),
                )
            ]
        super().delete_session(session_id)  # type: ignore[misc]
        if used:
            self._free_unused(used)

    def forget_unsent_attachments(self) -> int:
        """Forget uploads older than a week that no message took; returns how many."""
        before = (datetime.now(timezone.utc) - UNSENT_KEPT).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self.db.connection() as conn:
            stale = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM attachments AS a WHERE created_at < ? AND NOT EXISTS"
                    " (SELECT 1 FROM message_attachments WHERE attachment_id = a.id)",
                    (before,),
                )
            ]
        if stale:
            self._free_unused(stale)
        return len(stale)

    def _free_unused(self, ids: list[str]) -> None:
        with self.db.write() as conn:
            shas = set()
            for attachment_id in ids:
                row = conn.execute(
                    "SELECT sha256 FROM attachments WHERE id = ?", (attachment_id,)
                ).fetchone()
                if row is not None:
                    shas.add(row[0])
                conn.execute(
                    "DELETE FROM attachments WHERE id = ? AND NOT EXISTS"
                    " (SELECT 1 FROM message_attachments WHERE attachment_id = ?)",
                    (attachment_id, attachment_id),
                )
            self._free_files(conn, shas)

    def _free_files(self, conn: sqlite3.Connection, shas: set[str]) -> None:
        """Remove the files no row names any more (under the write transaction, so an upload
        of the same bytes cannot slip in between the check and the unlink)."""
        for sha in shas:
            if conn.execute("SELECT 1 FROM attachments WHERE sha256 = ?", (sha,)).fetchone():
                continue
            self.attachment_file(sha).unlink(missing_ok=True)
            (self.attachments_dir / f"{sha}.txt").unlink(missing_ok=True)


def _sync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
