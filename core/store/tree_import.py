"""Writing imported chats: each a new session whose messages form a tree, in short batches."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from core.ids import new_id
from core.store.database import Database
from core.store.sessions import distinct_title, titles_taken
from core.titles import first_line_title

if TYPE_CHECKING:  # the importers (and ijson) load only when something is imported
    from core.store.importers.chats import ImportedChat

log = logging.getLogger("hearth.store")

BATCH_MESSAGES = 4000  # per write transaction: long enough to be quick, short enough not to
BATCH_SESSIONS = 200  # keep a live chat's checkpoint waiting more than a few milliseconds
_DELETE_CHUNK = 500


class TreeImportMixin:
    db: Database

    def import_chats(self, chats: Iterable[ImportedChat]) -> list[str]:
        """Store each chat as a new session (new ids; titles, times, model and the tree of
        messages kept; the shown path ends at its ``shown_leaf``) and return their ids.

        Writes in batches of transactions; if anything fails (a bad chat, a full disk), the
        sessions written so far are deleted and the error is raised: all or nothing. An
        imported session never gets a workspace or a system prompt from the file.
        """
        written: list[str] = []
        batch: list[ImportedChat] = []
        size = 0
        try:
            for chat in chats:
                batch.append(chat)
                size += len(chat.messages)
                if size >= BATCH_MESSAGES or len(batch) >= BATCH_SESSIONS:
                    written += self._write_batch(batch)
                    batch, size = [], 0
            if batch:
                written += self._write_batch(batch)
        except BaseException:
            self._forget(written)
            raise
        return written

    def _write_batch(self, batch: list[ImportedChat]) -> list[str]:
        sessions: list[tuple[Any, ...]] = []
        messages: list[tuple[Any, ...]] = []
        for chat in batch:
            session_id = new_id()
            ids: dict[str, str] = {}
            for seq, message in enumerate(chat.messages, 1):
                ids[message.key] = message_id = new_id()
                parent = ids.get(message.parent) if message.parent is not None else None
                messages.append(
                    (
                        message_id,
                        session_id,
                        seq,
                        message.role,
                        message.content,
                        message.status,
                        message.created_at,
                        message.reasoning,
                        parent,
                    )
                )
            leaf = ids.get(chat.shown_leaf) if chat.shown_leaf is not None else None
            if leaf is None and chat.messages:
                leaf = ids[chat.messages[-1].key]
            sessions.append(
                [session_id, _title_of(chat), chat.created_at, chat.updated_at, chat.model, leaf]
            )
        with self.db.write() as conn:
            taken = titles_taken(conn)
            for row in sessions:
                row[1] = distinct_title(row[1], taken)
            conn.executemany(
                "INSERT INTO sessions (id, title, created_at, updated_at, model, shown_leaf_id)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                sessions,
            )
            conn.executemany(
                "INSERT INTO messages (id, session_id, seq, role, content, status, created_at,"
                " reasoning, parent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                messages,
            )
        return [row[0] for row in sessions]

    def _forget(self, session_ids: list[str]) -> None:
        """Delete what a failed import wrote (best effort: the error that stopped it wins)."""
        try:
            for start in range(0, len(session_ids), _DELETE_CHUNK):
                chunk = session_ids[start : start + _DELETE_CHUNK]
                marks = ",".join("?" * len(chunk))
                with self.db.write() as conn:
                    conn.execute(f"DELETE FROM sessions WHERE id IN ({marks})", chunk)
        except Exception:
            log.exception("could not remove the %d sessions of a failed import", len(session_ids))


def _title_of(chat: ImportedChat) -> str:
    """The chat's own title, else the first line of its first message of the user's."""
    if chat.title:
        return chat.title
    asked = next((m.content for m in chat.messages if m.role == "user" and m.content), "")
    return first_line_title(asked)
