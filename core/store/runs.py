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
from core.errors import Conflict, HearthError, InvalidInput, NotFound
from core.ids import check_id, new_id
from core.store import records, summaries, tree
from core.store.attachments import link_attachments
from core.store.database import Database
from core.store.sessions import (
    insert_message,
    name_untitled,
    require_no_live_run,
    require_session,
    touch,
)

RUN_END_STATUSES = {
    "completed": "complete",
    "failed": "error",
    "cancelled": "cancelled",
    "interrupted": "interrupted",
}
CONTINUABLE = ("interrupted", "cancelled", "error")
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
        content: str | None = None,
        model: str | None = None,
        *,
        edit: str | None = None,
        regenerate: str | None = None,
        continue_id: str | None = None,
        attachments: list[Any] | None = None,
    ) -> dict[str, Any]:
        """Store what the run answers and a live run together, before the agent is called.

        At most one of:

        - ``edit`` (a user message): ``content`` becomes a new version of it (a sibling, same
          parent), shown, and the run answers it;
        - ``regenerate`` (the first assistant message of a turn), no ``content``: the path is
          shown down to its user message, and the run's answer becomes a sibling of it;
        - ``continue_id`` (the last message shown: an assistant text that was interrupted,
          cancelled or failed), no ``content``: the run appends to that message. Its
          ``run_id`` becomes this run's, which is how the final save (or a recovery) knows to
          write the whole text back into it instead of adding a message.

        Without them, ``content`` starts a new turn at the end of the shown path. Nothing is
        ever deleted. Returns ``{"run", "message" (the new user message or None), "continues"
        (the message continued or None)}``; raises Conflict if a run is live.
        """
        chosen = [
            name
            for name, value in (
                ("edit", edit),
                ("regenerate", regenerate),
                ("continue", continue_id),
            )
            if value is not None
        ]
        if len(chosen) > 1:
            raise InvalidInput(f"Give at most one of edit, regenerate and continue (not {chosen}).")
        answers_new_message = not (regenerate or continue_id)
        if attachments and not answers_new_message:
            raise InvalidInput("Attachments go with a message you write.")
        if answers_new_message:
            if not isinstance(content, str) or not (content.strip() or attachments):
                raise InvalidInput("content must be a non-empty string.")
            message = records.message({"role": "user", "content": content})
        elif content is not None:
            raise InvalidInput(f"{chosen[0].capitalize()} takes no content.")
        model = records.optional_text(model, "model", 300)
        run_id = new_id()
        stored = continued = None
        with self.db.write() as conn:
            require_session(conn, session_id)
            require_no_live_run(conn, session_id, "starting another")
            if edit is not None:
                target = tree.message_in(conn, session_id, edit)
                if target["role"] != "user":
                    raise InvalidInput("Only a message you wrote can be edited.")
                if attachments is None and target["attachments"]:  # the new version keeps them
                    attachments = [a["id"] for a in json.loads(target["attachments"])]
                tree.show(conn, session_id, target["parent_id"])
            elif regenerate is not None:
                target = tree.message_in(conn, session_id, regenerate)
                tree.show(conn, session_id, _turn_question(conn, target))
            elif continue_id is not None:
                continued = _continuable(conn, session_id, continue_id)
                conn.execute("UPDATE messages SET run_id = ? WHERE id = ?", (run_id, continue_id))
            if answers_new_message:
                stored = insert_message(conn, session_id, message, run_id)
                if attachments:
                    stored["attachments"] = link_attachments(conn, stored["id"], attachments)
            when = clock.now()
            conn.execute(
                "INSERT INTO runs (id, session_id, status, started_at, updated_at, owner, model)"
                " VALUES (?, ?, 'live', ?, ?, ?, ?)",
                (run_id, session_id, when, when, self.owner, model),
            )
            if stored is not None:
                name_untitled(conn, session_id, stored)
            touch(conn, session_id, when)
        return {
            "run": self.get_run(run_id),
            "message": stored,
            "continues": records.message_row(continued) if continued is not None else None,
        }

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

    def abandon_run(self, run_id: str, text: str, error: str) -> None:
        """The last resort when a run's final save keeps failing on its content: end it
        "failed" so its session is never jammed, keeping ``text`` as an assistant message if
        even that can be stored (its staged steps stay in ``run_steps``, never deleted)."""
        check_id(run_id, "run id")
        when = clock.now()
        try:
            with self.db.write() as conn:
                run = self._live_run(conn, run_id)
                message = records.message(
                    {"role": "assistant", "content": text, "status": "error", "error": error}
                )
                insert_message(conn, run["session_id"], message, run_id)
                _mark_failed(conn, run_id, error, when)
        except (Conflict, NotFound):
            return
        except HearthError:
            with self.db.write() as conn:
                _mark_failed(conn, run_id, error, when)

    def _live_run(self, conn: sqlite3.Connection, run_id: str) -> sqlite3.Row:
        run = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if run is None:
            raise NotFound(f"No run has the id {run_id}.")
        if run["status"] != "live":
            raise Conflict(f"The run {run_id} has already ended ({run['status']}).")
        return run


def _turn_question(conn: sqlite3.Connection, answer: sqlite3.Row) -> str:
    """Where a new version of ``answer`` (the first assistant message of a turn) goes: after
    the user message it answers (or the summary a compaction put between them)."""
    if answer["role"] != "assistant":
        raise InvalidInput("Regenerate takes an answer (an assistant message), not a question.")
    parent = (
        answer["parent_id"]
        and conn.execute(
            "SELECT id, role, parent_id FROM messages WHERE id = ?", (answer["parent_id"],)
        ).fetchone()
    )
    shown = parent
    if parent and parent["role"] == "summary" and parent["parent_id"]:
        # A turn compacted before it answered: the summary sits between question and answer,
        # and stays shown so the new answer is a version of the old one, sent the same way.
        parent = conn.execute(
            "SELECT id, role, parent_id FROM messages WHERE id = ?", (parent["parent_id"],)
        ).fetchone()
    if not parent or parent["role"] != "user":
        raise InvalidInput(
            "Regenerate takes the first answer of a turn (the one right after your message)."
        )
    return shown["id"]


def _continuable(conn: sqlite3.Connection, session_id: str, message_id: str) -> sqlite3.Row:
    """The message to continue, checked: the last one shown, an answer cut short with text."""
    row = tree.message_in(conn, session_id, message_id)
    if row["role"] != "assistant" or row["tool_calls"]:
        raise InvalidInput("Continue takes an answer's text (an assistant message).")
    if row["status"] not in CONTINUABLE:
        raise InvalidInput(
            "Only an answer that was interrupted, stopped or failed can be continued;"
            f" this one is {row['status']}."
        )
    if not row["content"].strip():
        raise InvalidInput("This answer kept no text to continue; regenerate it instead.")
    if tree.shown_leaf(conn, session_id) != message_id:
        raise Conflict("Only the last message of the conversation shown can be continued.")
    return row


def _rewrite(
    conn: sqlite3.Connection,
    message: sqlite3.Row,
    written: dict[str, Any],
    status: str,
    error: str | None,
    usage: dict[str, Any] | None,
) -> None:
    """Write a continued message's whole text (``written["content"]``: the kept text and what
    was added) back into it, with the reasoning and tool calls the run added. A text that lost
    the kept start (the run ended before its first checkpoint) leaves the kept text."""
    kept = message["content"]
    text = written.get("content") or ""
    whole = text if text.startswith(kept.rstrip()) else kept
    reasoning = "\n\n".join(r for r in (message["reasoning"], written.get("reasoning")) if r)
    calls = written.get("tool_calls")
    conn.execute(
        "UPDATE messages SET content = ?, status = ?, error = ?, reasoning = ?,"
        " usage = coalesce(?, usage), tool_calls = coalesce(?, tool_calls) WHERE id = ?",
        (
            whole,
            status,
            error,
            reasoning or None,
            json.dumps(usage) if usage else None,
            json.dumps(calls) if calls else None,
            message["id"],
        ),
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
    summary = conn.execute(
        "SELECT * FROM messages WHERE run_id = ? AND role = 'summary'", (run["id"],)
    ).fetchone()
    if summary is not None:  # a compaction ("Compact now"): its text is the summary
        stored = summaries.close_summary(conn, summary, status, text, error, usage)
        _end_run(conn, run, status, error)
        return stored
    staged = [
        json.loads(row["message"])
        for row in conn.execute(
            "SELECT message FROM run_steps WHERE run_id = ? ORDER BY idx", (run["id"],)
        )
    ]
    messages = staged + steps
    continued = conn.execute(
        "SELECT * FROM messages WHERE run_id = ? AND role = 'assistant'", (run["id"],)
    ).fetchone()
    first = None
    if continued is not None:
        # A continue: the kept text and what was added go back into the message continued,
        # as one text. Its first step (if the model went on to call tools) is that message.
        first = messages.pop(0) if messages else None
        if first is not None:
            _rewrite(conn, continued, first, "complete", None, None)
        else:
            whole = {"content": text, "reasoning": reasoning}
            _rewrite(conn, continued, whole, RUN_END_STATUSES[status], error, usage)
            text = reasoning = ""
    if continued is None or first is not None:
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
    if continued is not None:
        again = conn.execute("SELECT * FROM messages WHERE id = ?", (continued["id"],)).fetchone()
        stored.insert(0, records.message_row(again))
    _end_run(conn, run, status, error)
    return stored


def _mark_failed(conn: sqlite3.Connection, run_id: str, error: str, when: str) -> None:
    conn.execute(
        "UPDATE runs SET status = 'failed', ended_at = ?, updated_at = ?, error = ?,"
        " partial_text = '', partial_reasoning = '' WHERE id = ? AND status = 'live'",
        (when, when, error, run_id),
    )


def _end_run(conn: sqlite3.Connection, run: sqlite3.Row, status: str, error: str | None) -> None:
    when = clock.now()
    conn.execute("DELETE FROM run_steps WHERE run_id = ?", (run["id"],))
    conn.execute(
        "UPDATE runs SET status = ?, ended_at = ?, updated_at = ?, error = ?, partial_text = '',"
        " partial_reasoning = '' WHERE id = ?",
        (status, when, when, error, run["id"]),
    )
    touch(conn, run["session_id"], when)
