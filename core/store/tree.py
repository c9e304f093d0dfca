"""The messages of a session as a tree: each points at the message before it on its branch
(``parent_id``), and the session shows the path that ends at its ``shown_leaf_id``.

Siblings (the same parent in the same session) are versions of one message, in the order they
were written (``seq``). These queries walk one path at a time through ``messages_by_parent``
and the primary key, so their cost follows the path's length, not the session's size.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from core.errors import NotFound
from core.ids import check_id

MAX_DEPTH = 1_000_000  # a guard against a cycle an old bug or a bad import could leave

_SIBLINGS = "FROM messages s WHERE s.session_id = m.session_id AND s.parent_id IS m.parent_id"
_VERSION = (
    f"(SELECT count(*) {_SIBLINGS}) AS version_count,"
    f" (SELECT count(*) {_SIBLINGS} AND s.seq <= m.seq) AS version_index,"
    f" (SELECT s.id {_SIBLINGS} AND s.seq < m.seq ORDER BY s.seq DESC LIMIT 1) AS version_previous,"
    f" (SELECT s.id {_SIBLINGS} AND s.seq > m.seq ORDER BY s.seq LIMIT 1) AS version_next"
)

_UP = (
    "WITH RECURSIVE up(id, depth) AS ("
    " SELECT ?, 0"
    " UNION ALL"
    " SELECT m.parent_id, up.depth + 1 FROM up JOIN messages m ON m.id = up.id"
    " WHERE m.parent_id IS NOT NULL AND up.depth < ?"
    ") "
)


def path_to(
    conn: sqlite3.Connection, session_id: str, last_id: str | None, versions: bool = True
) -> list[sqlite3.Row]:
    """The rows from the first message down to ``last_id``, each with its version
    (``version_index``, ``version_count``) unless ``versions`` is False."""
    if last_id is None:
        return []
    extra = ", " + _VERSION if versions else ""
    return conn.execute(
        _UP + f"SELECT m.*{extra} FROM up JOIN messages m ON m.id = up.id AND m.session_id = ?"
        " ORDER BY up.depth DESC",
        (last_id, MAX_DEPTH, session_id),
    ).fetchall()


def shown_leaf(conn: sqlite3.Connection, session_id: str) -> str | None:
    row = conn.execute("SELECT shown_leaf_id FROM sessions WHERE id = ?", (session_id,)).fetchone()
    return row[0] if row else None


def shown_path(conn: sqlite3.Connection, session_id: str) -> list[sqlite3.Row]:
    return path_to(conn, session_id, shown_leaf(conn, session_id))


def message_in(conn: sqlite3.Connection, session_id: str, message_id: Any) -> sqlite3.Row:
    """The message ``message_id`` of this session; NotFound if it has none such."""
    check_id(message_id, "message id")
    row = conn.execute(
        "SELECT * FROM messages WHERE id = ? AND session_id = ?", (message_id, session_id)
    ).fetchone()
    if row is None:
        raise NotFound(f"This session has no message with the id {message_id}.")
    return row


def latest_leaf(conn: sqlite3.Connection, session_id: str, message_id: str) -> str:
    """From ``message_id`` down, the most recently written child at each step: the leaf."""
    row = conn.execute(
        "WITH RECURSIVE down(id, depth) AS ("
        " SELECT ?, 0"
        " UNION ALL"
        " SELECT (SELECT c.id FROM messages c WHERE c.session_id = ? AND c.parent_id = down.id"
        "         ORDER BY c.seq DESC LIMIT 1), down.depth + 1"
        " FROM down WHERE down.id IS NOT NULL AND down.depth < ?"
        ") SELECT id FROM down WHERE id IS NOT NULL ORDER BY depth DESC LIMIT 1",
        (message_id, session_id, MAX_DEPTH),
    ).fetchone()
    return row[0]


def show(conn: sqlite3.Connection, session_id: str, leaf_id: str | None) -> None:
    conn.execute("UPDATE sessions SET shown_leaf_id = ? WHERE id = ?", (leaf_id, session_id))
