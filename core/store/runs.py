"""Runs (one agent turn each): begin durably, checkpoint cheaply, finish, recover after a crash.

While a run is live its finished steps (assistant messages that called tools, and
tool results) wait in ``run_steps`` and its unfinished text in ``runs.partial_text``.
A checkpoint writes only those two and the session's ``updated_at``: its cost does
not grow with the session, and it never touches the search index or another
session. Finishing or recovering the run turns them into messages.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from typing import Any

from core import clock
from core.errors import Conflict, InvalidInput, NotFound
from core.ids import check_id, new_id
from core.store import records
from core.store.database import Database
from core.store.sessions import insert_message, require_session, touch

RUN_END_STATUSES = {
    "completed": "complete",
    "failed": "error",
    "cancelled": "cancelled",
    "interrupted": "interrupted",
}
AUTO_TITLE_LENGTH = 60

_open_owners: set[str] = set()  # owners of the stores open in this process
_open_owners_lock = threading.Lock()


def process_owner() -> str:
    """This process, as ``pid:start_time``: a pid alone can be reused after a crash."""
    import psutil

    return f"{os.getpid()}:{psutil.Process().create_time():.3f}"


def owner_alive(owner: str) -> bool:
    import psutil

    pid, _, rest = owner.partition(":")
    started, _, instance = rest.partition(":")
    try:
        process = psutil.Process(int(pid))
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        if abs(process.create_time() - float(started)) > 0.01:
            return False
    except (psutil.Error, ValueError):
        return False
    if int(pid) == os.getpid():
        with _open_owners_lock:
            return owner in _open_owners
    return True


def auto_title(content: str) -> str:
    line = " ".join(content.split())
    if len(line) <= AUTO_TITLE_LENGTH:
        return line
    return line[:AUTO_TITLE_LENGTH].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


class RunsMixin:
    db: Database
    owner: str

    def _register_owner(self) -> None:
        self.owner = f"{process_owner()}:{new_id()[:8]}"
        with _open_owners_lock:
            _open_owners.add(self.owner)

    def _unregister_owner(self) -> None:
        with _open_owners_lock:
            _open_owners.discard(self.owner)

    def begin_run(
        self,
        session_id: str,
        content: str,
        model: str | None = None,
        replace_from: str | None = None,
    ) -> dict[str, Any]:
        """Store the user's message and a live run together, before the agent is called.

        With ``replace_from`` (a message id of this session), that message and every later
        one are deleted first, in the same transaction: editing a message and resending it,
        or regenerating an answer. Returns ``{"run": ..., "message": ...}``; raises Conflict
        if a run is live.
        """
        message = records.message({"role": "user", "content": content})
        model = records.optional_text(model, "model", 300)
        if replace_from is not None:
            check_id(replace_from, "message id")
        run_id = new_id()
        with self.db.write() as conn:
            require_session(conn, session_id)
            live = conn.execute(
                "SELECT id FROM runs WHERE session_id = ? AND status = 'live'", (session_id,)
            ).fetchone()
            if live:
                raise Conflict(f"A run ({live['id']}) is already live in this session.")
            if replace_from is not None:
                _delete_from(conn, session_id, replace_from)
            stored = insert_message(conn, session_id, message, run_id)
            when = stored["created_at"]
            conn.execute(
                "INSERT INTO runs (id, session_id, status, started_at, updated_at, owner, model)"
                " VALUES (?, ?, 'live', ?, ?, ?, ?)",
                (run_id, session_id, when, when, self.owner, model),
            )
            conn.execute(
                "UPDATE sessions SET title = ? WHERE id = ? AND title = ''",
                (auto_title(content), session_id),
            )
            touch(conn, session_id, when)
        return {"run": self.get_run(run_id), "message": stored}

    def get_run(self, run_id: str) -> dict[str, Any]:
        check_id(run_id, "run id")
        with self.db.connection() as conn:
            row = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise NotFound(f"No run has the id {run_id}.")
        return records.run_row(row)

    def checkpoint(
        self,
        run_id: str,
        text: str,
        reasoning: str = "",
        steps: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (),
        touch_session: bool = True,
    ) -> None:
        """Save a live run's unfinished text and its newly finished steps, in one transaction."""
        check_id(run_id, "run id")
        text = records.text(text, "partial text", records.MAX_CONTENT)
        reasoning = records.text(reasoning, "partial reasoning", records.MAX_CONTENT)
        checked = [records.message(step) for step in steps]
        when = clock.now()
        with self.db.write() as conn:
            run = self._live_run(conn, run_id)
            conn.execute(
                "UPDATE runs SET partial_text = ?, partial_reasoning = ?, updated_at = ?"
                " WHERE id = ?",
                (text, reasoning, when, run_id),
            )
            if checked:
                first = conn.execute(
                    "SELECT coalesce(max(idx), -1) + 1 FROM run_steps WHERE run_id = ?", (run_id,)
                ).fetchone()[0]
                conn.executemany(
                    "INSERT INTO run_steps (run_id, idx, message) VALUES (?, ?, ?)",
                    [(run_id, first + i, json.dumps(m)) for i, m in enumerate(checked)],
                )
            if touch_session:
                touch(conn, run["session_id"], when)

    def finish_run(
        self,
        run_id: str,
        status: str,
        text: str = "",
        reasoning: str = "",
        steps: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (),
        error: str | None = None,
        usage: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Close a live run: its steps and final text become messages. Returns them."""
        check_id(run_id, "run id")
        if status not in RUN_END_STATUSES:
            raise InvalidInput(f"A run ends as one of {', '.join(RUN_END_STATUSES)}.")
        checked = [records.message(step) for step in steps]
        with self.db.write() as conn:
            run = self._live_run(conn, run_id)
            return _close(conn, run, status, text, reasoning, checked, error, usage)

    def recover(self) -> list[str]:
        """Close every run left live by a process that died; return their ids.

        The partial text becomes an assistant message marked "interrupted".
        """
        with self.db.connection() as conn:
            live = conn.execute("SELECT id, owner FROM runs WHERE status = 'live'").fetchall()
        orphans = [row["id"] for row in live if not owner_alive(row["owner"])]
        closed = []
        for run_id in orphans:
            with self.db.write() as conn:
                run = conn.execute(
                    "SELECT * FROM runs WHERE id = ? AND status = 'live'", (run_id,)
                ).fetchone()
                if run is None:
                    continue  # another process recovered it first
                _close(
                    conn,
                    run,
                    "interrupted",
                    run["partial_text"],
                    run["partial_reasoning"],
                    [],
                    None,
                    None,
                )
            closed.append(run_id)
        return closed

    def _live_run(self, conn: sqlite3.Connection, run_id: str) -> sqlite3.Row:
        run = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if run is None:
            raise NotFound(f"No run has the id {run_id}.")
        if run["status"] != "live":
            raise Conflict(f"The run {run_id} has already ended ({run['status']}).")
        return run


def _delete_from(conn: sqlite3.Connection, session_id: str, message_id: str) -> None:
    row = conn.execute(
        "SELECT seq FROM messages WHERE id = ? AND session_id = ?", (message_id, session_id)
    ).fetchone()
    if row is None:
        raise NotFound(f"This session has no message with the id {message_id}.")
    conn.execute("DELETE FROM messages WHERE session_id = ? AND seq >= ?", (session_id, row["seq"]))
    conn.execute(
        "UPDATE sessions SET shown_leaf_id = (SELECT id FROM messages WHERE session_id = ?"
        " ORDER BY seq DESC LIMIT 1) WHERE id = ?",
        (session_id, session_id),
    )


def _close(
    conn: sqlite3.Connection,
    run: sqlite3.Row,
    status: str,
    text: str,
    reasoning: str,
    steps: list[dict[str, Any]],
    error: str | None,
    usage: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    staged = [
        json.loads(row["message"])
        for row in conn.execute(
            "SELECT message FROM run_steps WHERE run_id = ? ORDER BY idx", (run["id"],)
        )
    ]
    messages = staged + steps
    if text or reasoning or status != "completed" or not messages:
        messages.append(
            records.message(
                {
                    "role": "assistant",
                    "content": text,
                    "reasoning": reasoning or None,
                    "status": RUN_END_STATUSES[status],
                    "error": error,
                    "usage": usage,
                }
            )
        )
    stored = [insert_message(conn, run["session_id"], m, run["id"]) for m in messages]
    when = clock.now()
    conn.execute("DELETE FROM run_steps WHERE run_id = ?", (run["id"],))
    conn.execute(
        "UPDATE runs SET status = ?, ended_at = ?, updated_at = ?, error = ?, partial_text = '',"
        " partial_reasoning = '' WHERE id = ?",
        (status, when, when, error, run["id"]),
    )
    touch(conn, run["session_id"], when)
    return stored
