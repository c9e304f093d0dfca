"""Compaction summaries: a message (``role`` 'summary') after the turns it summarises.

A summary's ``covers_id`` is the last message it stands for: the model is sent the summary
instead of everything on the shown path down to that message. The messages themselves stay
(shown, searchable, exported). "Compact now" writes its summary as a run: the message is
stored empty and marked interrupted when the run begins, the run's text is checkpointed like
any answer, and only a run that completes makes it a complete summary. A crash or a cancel
leaves it interrupted, which the model is never sent.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from core import clock
from core.errors import InvalidInput
from core.ids import new_id
from core.store import records, tree
from core.store.database import Database
from core.store.sessions import insert_message, require_no_live_run, require_session, touch


class SummariesMixin:
    db: Database
    owner: str

    def add_summary(
        self, session_id: str, content: str, covers_id: str, usage: dict | None = None
    ) -> dict[str, Any]:
        """Store a finished summary at the end of the shown path (a run may be live: the
        turn that compacts before it asks the model)."""
        if not content.strip():
            raise InvalidInput("A summary needs some text.")
        with self.db.write() as conn:
            require_session(conn, session_id)
            _check_covers(conn, session_id, covers_id)
            message = records.message({"role": "summary", "content": content, "usage": usage})
            stored = insert_message(conn, session_id, message)
            return _set_covers(conn, stored["id"], covers_id)

    def begin_compaction(self, session_id: str, covers_id: str) -> dict[str, Any]:
        """A live run whose text becomes the summary of the path down to ``covers_id``."""
        run_id = new_id()
        with self.db.write() as conn:
            require_session(conn, session_id)
            require_no_live_run(conn, session_id, "compacting")
            _check_covers(conn, session_id, covers_id)
            message = records.message({"role": "summary", "content": "", "status": "interrupted"})
            stored = insert_message(conn, session_id, message, run_id)
            _set_covers(conn, stored["id"], covers_id)
            when = clock.now()
            conn.execute(
                "INSERT INTO runs (id, session_id, status, started_at, updated_at, owner)"
                " VALUES (?, ?, 'live', ?, ?, ?)",
                (run_id, session_id, when, when, self.owner),
            )
            touch(conn, session_id, when)
        return self.get_run(run_id)  # type: ignore[attr-defined]


def close_summary(
    conn: sqlite3.Connection,
    summary: sqlite3.Row,
    status: str,
    text: str,
    error: str | None,
    usage: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """End a compaction run: its text becomes the summary, complete only if the run was."""
    done = status == "completed" and bool(text.strip())
    if status == "completed" and not done:
        error = error or "The model gave an empty summary."
    conn.execute(
        "UPDATE messages SET content = ?, status = ?, error = ?, usage = ? WHERE id = ?",
        (
            text,
            "complete" if done else ("cancelled" if status == "cancelled" else "interrupted"),
            None if done else (error or "The compaction did not finish; nothing was changed."),
            records.json_or_none(usage) if done else None,
            summary["id"],
        ),
    )
    row = conn.execute("SELECT * FROM messages WHERE id = ?", (summary["id"],)).fetchone()
    return [records.message_row(row)]


def _check_covers(conn: sqlite3.Connection, session_id: str, covers_id: str) -> None:
    path = tree.path_to(conn, session_id, tree.shown_leaf(conn, session_id))
    if covers_id not in {row["id"] for row in path}:
        raise InvalidInput("A summary covers messages of the conversation shown.")


def _set_covers(conn: sqlite3.Connection, message_id: str, covers_id: str) -> dict[str, Any]:
    conn.execute("UPDATE messages SET covers_id = ? WHERE id = ?", (covers_id, message_id))
    row = conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
    return records.message_row(row)
