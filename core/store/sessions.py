"""Sessions and their messages: create, read, list, rename, pin, delete, append."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from core import clock
from core.errors import Conflict, InvalidInput, NotFound
from core.ids import check_id, new_id
from core.store import records, tree
from core.store.database import Database
from core.titles import first_line_title

SESSION_SELECT = (
    "SELECT s.*, (SELECT count(*) FROM messages m WHERE m.session_id = s.id) AS message_count,"
    " r.id AS live_run_id, r.started_at AS live_run_started_at"
    " FROM sessions s LEFT JOIN runs r ON r.session_id = s.id AND r.status = 'live'"
)
MAX_PAGE = 500


def insert_message(
    conn: sqlite3.Connection, session_id: str, message: dict[str, Any], run_id: str | None = None
) -> dict[str, Any]:
    """Store a checked message after the last one of the session's shown path, which it then
    ends (the caller holds a write transaction)."""
    seq = conn.execute(
        "SELECT coalesce(max(seq), 0) + 1 FROM messages WHERE session_id = ?", (session_id,)
    ).fetchone()[0]
    parent = conn.execute(
        "SELECT shown_leaf_id FROM sessions WHERE id = ?", (session_id,)
    ).fetchone()[0]
    write_message(conn, session_id, message, seq, parent, run_id)
    conn.execute("UPDATE sessions SET shown_leaf_id = ? WHERE id = ?", (message["id"], session_id))
    row = conn.execute("SELECT * FROM messages WHERE id = ?", (message["id"],)).fetchone()
    return records.message_row(row)


def write_message(
    conn: sqlite3.Connection,
    session_id: str,
    message: dict[str, Any],
    seq: int,
    parent_id: str | None,
    run_id: str | None = None,
) -> None:
    """The one INSERT of a checked message, at ``seq`` under ``parent_id``."""
    conn.execute(
        "INSERT INTO messages (id, session_id, seq, role, content, status, tool_calls,"
        " tool_call_id, name, created_at, usage, run_id, reasoning, error, parent_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            message["id"],
            session_id,
            seq,
            message["role"],
            message["content"],
            message["status"],
            json.dumps(message["tool_calls"]) if message["tool_calls"] else None,
            message["tool_call_id"],
            message["name"],
            message["created_at"],
            json.dumps(message["usage"]) if message["usage"] is not None else None,
            run_id,
            message["reasoning"],
            message["error"],
            parent_id,
        ),
    )


def name_untitled(conn: sqlite3.Connection, session_id: str, message: dict[str, Any]) -> None:
    """An untitled session takes the first line of its first message as its title (plain
    text), until the model names it after the first answer (see ``claim_title``)."""
    words = first_line_title(message["content"])
    if not words and message.get("attachments"):
        words = first_line_title(message["attachments"][0]["name"])
    if words:
        conn.execute(
            "UPDATE sessions SET title = ?, title_source = 'first_message'"
            " WHERE id = ? AND title = ''",
            (records.title(words), session_id),
        )


def titles_taken(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT title FROM sessions WHERE title != ''")}


def distinct_title(title: str, taken: set[str]) -> str:
    """``title``, or "title (2)", "title (3)"… if a session has it already: the same chat
    imported twice is told apart in the sidebar. Adds the answer to ``taken``."""
    if title and title in taken:
        base = title[: records.MAX_TITLE - 8]
        number = 2
        while f"{base} ({number})" in taken:
            number += 1
        title = f"{base} ({number})"
    taken.add(title)
    return title


def touch(conn: sqlite3.Connection, session_id: str, when: str | None = None) -> None:
    conn.execute(
        "UPDATE sessions SET updated_at = ? WHERE id = ?", (when or clock.now(), session_id)
    )


def require_no_live_run(conn: sqlite3.Connection, session_id: str, doing: str) -> None:
    live = conn.execute(
        "SELECT id FROM runs WHERE session_id = ? AND status = 'live'", (session_id,)
    ).fetchone()
    if live:
        raise Conflict(
            f"An answer (run {live['id']}) is still being written in this session; wait for it"
            f" or stop it before {doing}."
        )


def require_session(conn: sqlite3.Connection, session_id: str) -> None:
    check_id(session_id, "session id")
    if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
        raise NotFound(f"No session has the id {session_id}.")


def page(limit: Any, offset: Any) -> tuple[int, int]:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_PAGE}.")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidInput("offset must be a whole number, 0 or more.")
    return limit, offset


class SessionsMixin:
    db: Database

    def create_session(
        self,
        title: str = "",
        model: str | None = None,
        workspace: str | None = None,
        system_prompt: str | None = None,
    ) -> dict[str, Any]:
        named = records.title(title)
        values = (
            new_id(),
            named,
            "user" if named else None,  # untitled: named from its first message, then by the model
            records.optional_text(model, "model", 300),
            records.optional_text(workspace, "workspace"),
            records.optional_text(system_prompt, "system prompt", records.MAX_CONTENT),
        )
        when = clock.now()
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO sessions (id, title, title_source, model, workspace, system_prompt,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, when, when),
            )
        return self.get_session(values[0], messages=False)

    def get_session(self, session_id: str, messages: bool = True) -> dict[str, Any]:
        """The session, with the messages of its shown path (first to last, each with its
        ``version``) and its live run, if any."""
        check_id(session_id, "session id")
        with self.db.read() as conn:
            row = conn.execute(SESSION_SELECT + " WHERE s.id = ?", (session_id,)).fetchone()
            if row is None:
                raise NotFound(f"No session has the id {session_id}.")
            session = records.session_row(row)
            if messages:
                session["messages"] = tree.shown_messages(conn, session_id)
        return session

    def list_sessions(
        self, limit: int = 50, offset: int = 0, q: str | None = None
    ) -> dict[str, Any]:
        """A page of sessions, pinned first then most recently updated; or search results."""
        limit, offset = page(limit, offset)
        if q is not None and records.text(q, "search text", 1000).strip():
            return self.search_sessions(q, limit=limit, offset=offset)
        with self.db.read() as conn:
            rows = conn.execute(
                SESSION_SELECT + " ORDER BY s.pinned DESC, s.updated_at DESC, s.rowid DESC"
                " LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
            total = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
        return {"sessions": [records.session_row(r) for r in rows], "total": total}

    def update_session(self, session_id: str, **changes: Any) -> dict[str, Any]:
        """Rename, pin, switch tools on or off ("chat only"), or change the model, workspace or
        system prompt.

        None of these moves ``updated_at``: the sidebar orders by conversation activity.
        """
        checks = {
            "title": records.title,
            "pinned": lambda v: int(records.flag(v, "pinned")),
            "tools_enabled": lambda v: int(records.flag(v, "tools_enabled")),
            "model": lambda v: records.optional_text(v, "model", 300),
            "workspace": lambda v: records.optional_text(v, "workspace"),
            "system_prompt": lambda v: records.optional_text(
                v, "system prompt", records.MAX_CONTENT
            ),
        }
        unknown = set(changes) - set(checks)
        if unknown:
            raise InvalidInput(f"Unknown session field: {', '.join(sorted(unknown))}.")
        values = {key: checks[key](value) for key, value in changes.items()}
        with self.db.write() as conn:
            require_session(conn, session_id)
            for key, value in values.items():  # keys come from `checks`, never from the caller
                conn.execute(f"UPDATE sessions SET {key} = ? WHERE id = ?", (value, session_id))
            if "title" in values:  # the user's title: Hearth never names this session again
                conn.execute(
                    "UPDATE sessions SET title_source = 'user' WHERE id = ?", (session_id,)
                )
        return self.get_session(session_id, messages=False)

    def claim_title(self, session_id: str) -> dict[str, Any] | None:
        """Take the one chance to have the model name ``session_id``: the session (with
        messages) if it still carries its first message's line as title, else None."""
        with self.db.write() as conn:
            claimed = conn.execute(
                "UPDATE sessions SET title_source = 'titling'"
                " WHERE id = ? AND title_source = 'first_message'",
                (session_id,),
            ).rowcount
        return self.get_session(session_id) if claimed else None

    def retry_titles(self) -> int:
        """Sessions a stopped process left being named ("titling") take their first line
        again: the model is asked once more after their next completed run. Only for the one
        process that names chats (it holds the data folder). Returns how many."""
        with self.db.write() as conn:
            return conn.execute(
                "UPDATE sessions SET title_source = 'first_message' WHERE title_source = 'titling'"
            ).rowcount

    def settle_title(self, session_id: str, title: str | None) -> bool:
        """The model's title for a claimed session (None: it could not; the first line stays).
        A title the user set in the meantime wins. True if ``title`` was stored."""
        with self.db.write() as conn:
            if title:
                return bool(
                    conn.execute(
                        "UPDATE sessions SET title = ?, title_source = 'model'"
                        " WHERE id = ? AND title_source = 'titling'",
                        (records.title(title), session_id),
                    ).rowcount
                )
            conn.execute(
                "UPDATE sessions SET title_source = 'fallback'"
                " WHERE id = ? AND title_source = 'titling'",
                (session_id,),
            )
        return False

    def delete_session(self, session_id: str) -> None:
        """Delete the session with its messages and runs; refused while a run is live."""
        with self.db.write() as conn:
            require_session(conn, session_id)
            live = conn.execute(
                "SELECT 1 FROM runs WHERE session_id = ? AND status = 'live'", (session_id,)
            ).fetchone()
            if live:
                raise Conflict("This session has a live run; stop it before deleting the session.")
            conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    def append_message(self, session_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """Store one message at the end of the session; the session rises in the list."""
        checked = records.message(message)
        with self.db.write() as conn:
            require_session(conn, session_id)
            stored = insert_message(conn, session_id, checked)
            touch(conn, session_id)
        return stored

    def show_path(self, session_id: str, message_id: Any) -> dict[str, Any]:
        """Show the path through ``message_id`` down to its most recent leaf (following the
        most recently written child at each step). Refused while a run is live: its answer
        goes at the end of the path shown when it started."""
        with self.db.write() as conn:
            require_session(conn, session_id)
            tree.message_in(conn, session_id, message_id)
            require_no_live_run(conn, session_id, "switching versions")
            tree.show(conn, session_id, tree.latest_leaf(conn, session_id, message_id))
        return self.get_session(session_id)

    def fork_session(self, session_id: str, message_id: Any) -> dict[str, Any]:
        """A new session holding copies (new ids, same content and times) of the shown path
        up to and including ``message_id``. The original is left as it was."""
        new_session = new_id()
        when = clock.now()
        with self.db.write() as conn:
            require_session(conn, session_id)
            tree.message_in(conn, session_id, message_id)
            source = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
            path = tree.path_to(conn, session_id, message_id)
            title = records.title(f"{source['title'] or 'Conversation'} (fork)")
            conn.execute(
                "INSERT INTO sessions (id, title, model, workspace, system_prompt, created_at,"
                " updated_at, tools_enabled, imported_workspace, imported_system_prompt,"
                " import_pending) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new_session,
                    title,
                    source["model"],
                    source["workspace"],
                    source["system_prompt"],
                    when,
                    when,
                    source["tools_enabled"],
                    source["imported_workspace"],
                    source["imported_system_prompt"],
                    source["import_pending"],
                ),
            )
            parent = None
            for seq, row in enumerate(path, 1):
                copy = new_id()
                conn.execute(
                    "INSERT INTO messages (id, session_id, seq, role, content, status, tool_calls,"
                    " tool_call_id, name, created_at, usage, reasoning, error, parent_id,"
                    " attachments) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        copy,
                        new_session,
                        seq,
                        row["role"],
                        row["content"],
                        row["status"],
                        row["tool_calls"],
                        row["tool_call_id"],
                        row["name"],
                        row["created_at"],
                        row["usage"],
                        row["reasoning"],
                        row["error"],
                        parent,
                        row["attachments"],
                    ),
                )
                conn.execute(  # the fork keeps its files even once the original is deleted
                    "INSERT INTO message_attachments (message_id, idx, attachment_id)"
                    " SELECT ?, idx, attachment_id FROM message_attachments WHERE message_id = ?",
                    (copy, row["id"]),
                )
                parent = copy
            tree.show(conn, new_session, parent)
        return self.get_session(new_session)
