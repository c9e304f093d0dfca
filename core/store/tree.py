"""The messages of a session as a tree: each points at the message before it on its branch
(``parent_id``), and the session shows the path that ends at its ``shown_leaf_id``.

Siblings (the same parent in the same session) are versions of one message, in the order they
were written (``seq``). A path is walked up from its last message through the primary key;
versions take one pass over the session's entries in ``messages_by_parent`` (an index scan,
no message read) and then read only the children of parents that have more than one.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from core.errors import NotFound
from core.ids import check_id
from core.store import records

MAX_DEPTH = 1_000_000  # a guard against a cycle an old bug or a bad import could leave

_UP = (
    "WITH RECURSIVE up(rid, parent, depth) AS ("
    " SELECT rowid, parent_id, 0 FROM messages WHERE id = ? AND session_id = ?"
    " UNION ALL"
    " SELECT m.rowid, m.parent_id, up.depth + 1 FROM up"
    " JOIN messages m ON m.id = up.parent AND m.session_id = ?"
    " WHERE up.depth < ?"
    ") "
)


def path_to(conn: sqlite3.Connection, session_id: str, last_id: str | None) -> list[sqlite3.Row]:
    """The rows from the first message down to ``last_id``."""
    if last_id is None:
        return []
    return conn.execute(
        _UP + "SELECT m.* FROM up JOIN messages m ON m.rowid = up.rid ORDER BY up.depth DESC",
        (last_id, session_id, session_id, MAX_DEPTH),
    ).fetchall()


def versions(
    conn: sqlite3.Connection, session_id: str, path: list[sqlite3.Row]
) -> dict[str, dict[str, Any]]:
    """Each path message's ``{"index", "count", "previous_id", "next_id"}``: its place among
    its siblings (the same parent), in the order they were written.

    One pass over the session's parent index finds the parents with more than one child; only
    their children are then read. A session without versions costs that one pass.
    """
    branching = conn.execute(
        "SELECT parent_id FROM messages INDEXED BY messages_by_parent WHERE session_id = ?"
        " GROUP BY parent_id HAVING count(*) > 1",
        (session_id,),
    ).fetchall()
    wanted = {row[0] for row in branching} & {row["parent_id"] for row in path}
    siblings: dict[str | None, list[str]] = {}
    if wanted:
        named = [p for p in wanted if p is not None]
        clauses = []
        if named:
            clauses.append(f"parent_id IN ({', '.join('?' * len(named))})")
        if None in wanted:
            clauses.append("parent_id IS NULL")
        rows = conn.execute(
            "SELECT parent_id, id FROM messages INDEXED BY messages_by_parent"
            f" WHERE session_id = ? AND ({' OR '.join(clauses)}) ORDER BY seq",
            (session_id, *named),
        )
        for parent, message_id in rows:
            siblings.setdefault(parent, []).append(message_id)
    out = {}
    for row in path:
        ids = siblings.get(row["parent_id"])
        if not ids:
            out[row["id"]] = {"index": 1, "count": 1, "previous_id": None, "next_id": None}
            continue
        at = ids.index(row["id"])
        out[row["id"]] = {
            "index": at + 1,
            "count": len(ids),
            "previous_id": ids[at - 1] if at > 0 else None,
            "next_id": ids[at + 1] if at + 1 < len(ids) else None,
        }
    return out


def shown_leaf(conn: sqlite3.Connection, session_id: str) -> str | None:
    row = conn.execute("SELECT shown_leaf_id FROM sessions WHERE id = ?", (session_id,)).fetchone()
    return row[0] if row else None


def shown_messages(conn: sqlite3.Connection, session_id: str) -> list[dict[str, Any]]:
    """The shown path as messages, first to last, each with its ``version``."""
    path = path_to(conn, session_id, shown_leaf(conn, session_id))
    found = versions(conn, session_id, path)
    return [{**records.message_row(row), "version": found[row["id"]]} for row in path]


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
        " SELECT (SELECT c.id FROM messages c INDEXED BY messages_by_parent"
        "         WHERE c.session_id = ? AND c.parent_id = down.id"
        "         ORDER BY c.seq DESC LIMIT 1), down.depth + 1"
        " FROM down WHERE down.id IS NOT NULL AND down.depth < ?"
        ") SELECT id FROM down WHERE id IS NOT NULL ORDER BY depth DESC LIMIT 1",
        (message_id, session_id, MAX_DEPTH),
    ).fetchone()
    return row[0]


def show(conn: sqlite3.Connection, session_id: str, leaf_id: str | None) -> None:
    conn.execute("UPDATE sessions SET shown_leaf_id = ? WHERE id = ?", (leaf_id, session_id))
