"""A session out and back in: Markdown for people, JSON for Hearth (and for scripts).

An imported file never chooses where the agent works or what it is told in secret: the
workspace and system prompt it asks for are kept aside (``import_review``) and the session
has neither until the user, having seen them, decides with ``confirm_import``.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from core import clock
from core.errors import Conflict, InvalidInput
from core.folders import expand
from core.ids import new_id
from core.store import records
from core.store.attachments import link_kept_attachments
from core.store.database import Database
from core.store.importers.chats import fence
from core.store.importers.tree import parents_first
from core.store.sessions import distinct_title, require_session, titles_taken, write_message

EXPORT_FORMAT = "hearth.session"
EXPORT_VERSION = 1
SPEAKERS = {
    "user": "You",
    "assistant": "Assistant",
    "tool": "Tool",
    "summary": "Summary of the turns above (Hearth)",
}


class TransferMixin:
    db: Database

    def export_json(self, session_id: str) -> dict[str, Any]:
        """The session with ``messages`` (the shown path, first to last) and
        ``other_versions`` (every other message: edits, regenerations and what follows them).
        Each message carries its ``id`` and ``parent_id``, so the whole tree comes back in."""
        session = self.get_session(session_id, messages=False)
        session.pop("active_run", None)
        session.pop("import_review", None)  # what a file asked for is not passed on unseen
        session.pop("message_count", None)
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT * FROM messages WHERE session_id = ? ORDER BY seq", (session_id,)
            ).fetchall()
            leaf = conn.execute(
                "SELECT shown_leaf_id FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()[0]
        every = {}
        for row in rows:
            message = records.message_row(row)
            message.pop("run_id", None)
            message["parent_id"] = row["parent_id"]
            every[row["id"]] = message
        path: list[str] = []
        node = leaf if leaf in every else None
        while node is not None and node not in path:
            path.append(node)
            node = every[node]["parent_id"] if every[node]["parent_id"] in every else None
        shown = set(path)
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": clock.now(),
            "session": session,
            "messages": [every[key] for key in reversed(path)],
            "other_versions": [m for key, m in every.items() if key not in shown],
        }

    def export_markdown(self, session_id: str) -> str:
        session = self.get_session(session_id)
        lines = [f"# {session['title'] or 'Untitled chat'}", ""]
        lines.append(f"_Started {session['created_at']}; exported from Hearth {clock.now()}._")
        for message in session["messages"]:
            speaker = SPEAKERS[message["role"]]
            if message["role"] == "tool":
                speaker = f"Tool result: {message.get('name') or 'tool'}"
            if message["status"] != "complete":
                speaker += f" ({message['status']})"
            lines += ["", f"## {speaker}", ""]
            if message.get("reasoning"):
                lines += ["<details><summary>Reasoning</summary>", "", message["reasoning"], ""]
                lines += ["</details>", ""]
            if message["role"] == "tool":
                lines.append(fence(message["content"]))
            elif message["content"]:
                lines.append(message["content"])
            for call in message.get("tool_calls") or []:
                lines += [
                    "",
                    f"**Tool call** `{call['name']}`",
                    "",
                    fence(call["arguments"], "json"),
                ]
            if message.get("error"):
                lines += ["", f"> Error: {message['error']}"]
        return "\n".join(lines) + "\n"

    def import_json(self, data: Any) -> dict[str, Any]:
        """Store an exported session as a new session (new ids, same content and times)."""
        if isinstance(data, (str, bytes)):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise InvalidInput(f"The file is not valid JSON: {exc}.") from exc
        if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
            raise InvalidInput("This is not a Hearth session export.")
        if not isinstance(data.get("version"), int) or data["version"] > EXPORT_VERSION:
            raise InvalidInput("This export comes from a newer Hearth; update Hearth to import it.")
        session = data.get("session")
        messages = data.get("messages")
        if not isinstance(session, dict) or not isinstance(messages, list):
            raise InvalidInput("The export needs a 'session' object and a 'messages' list.")
        now = clock.now()
        created = records.timestamp(session.get("created_at", now), "created_at")
        updated = records.timestamp(session.get("updated_at", now), "updated_at")
        asked_workspace = records.optional_text(session.get("workspace"), "workspace") or None
        asked_prompt = (
            records.optional_text(
                session.get("system_prompt"), "system prompt", records.MAX_CONTENT
            )
            or None
        )
        if asked_prompt is not None and not asked_prompt.strip():
            asked_prompt = None
        row = (
            new_id(),
            records.title(session.get("title") or ""),
            created,
            updated,
            int(records.flag(session.get("pinned", False), "pinned")),
            records.optional_text(session.get("model"), "model", 300),
            asked_workspace,
            asked_prompt,
            int(asked_workspace is not None or asked_prompt is not None),
        )
        others = data.get("other_versions", [])
        if not isinstance(others, list):
            raise InvalidInput("The export's 'other_versions' must be a list.")
        if not all(_is_dict(m) for m in messages + others):
            raise InvalidInput("Every message in the export must be an object.")
        tree = _tree(messages, others)
        with self.db.write() as conn:
            row = (row[0], distinct_title(row[1], titles_taken(conn)), *row[2:])
            conn.execute(
                "INSERT INTO sessions (id, title, created_at, updated_at, pinned, model,"
                " imported_workspace, imported_system_prompt, import_pending)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            _insert_tree(conn, row[0], *tree)
        return self.get_session(row[0])

    def confirm_import(
        self, session_id: str, *, workspace: bool = False, system_prompt: bool = False
    ) -> dict[str, Any]:
        """The user's answer to what an imported session asks for; ends the review.

        ``workspace``/``system_prompt`` true: the session takes the imported value; false:
        it is dropped (the session keeps its own, by default none).
        """
        use_workspace = records.flag(workspace, "workspace")
        use_prompt = records.flag(system_prompt, "system_prompt")
        with self.db.write() as conn:
            require_session(conn, session_id)
            row = conn.execute(
                "SELECT imported_workspace, imported_system_prompt, import_pending"
                " FROM sessions WHERE id = ?",
                (session_id,),
            ).fetchone()
            if not row["import_pending"]:
                raise Conflict(
                    "This session has no imported workspace or system prompt waiting for a"
                    " decision."
                )
            changes: dict[str, Any] = {}
            if use_workspace and row["imported_workspace"]:
                changes["workspace"] = _absolute_folder(row["imported_workspace"])
            if use_prompt and row["imported_system_prompt"]:
                changes["system_prompt"] = row["imported_system_prompt"]
            for key, value in changes.items():  # keys are fixed above, never the caller's
                conn.execute(f"UPDATE sessions SET {key} = ? WHERE id = ?", (value, session_id))
            conn.execute(
                "UPDATE sessions SET import_pending = 0, imported_workspace = NULL,"
                " imported_system_prompt = NULL WHERE id = ?",
                (session_id,),
            )
        return self.get_session(session_id, messages=False)


def _tree(
    messages: list[dict[str, Any]], others: list[dict[str, Any]]
) -> tuple[list[tuple[dict[str, Any], str | None]], str | None]:
    """The export's messages checked, parents first, each with its parent's index key, and
    the key of the shown path's last message. An export without ids and parents (Hearth
    before versions, or a script's) is one path in the order given."""
    every = messages + others
    keys = [m.get("id") if isinstance(m.get("id"), str) else f"#{i}" for i, m in enumerate(every)]
    linked = any(m.get("parent_id") is not None for m in every) and len(set(keys)) == len(keys)
    if linked:
        parent_of = {k: m.get("parent_id") for k, m in zip(keys, every, strict=True)}
        parent_of = {k: p if isinstance(p, str) else None for k, p in parent_of.items()}
    else:
        parent_of = {
            k: (keys[i - 1] if 0 < i < len(messages) else None) for i, k in enumerate(keys)
        }
    position = {k: i for i, k in enumerate(keys)}
    by_key = dict(zip(keys, every, strict=True))
    ordered = [
        (key, _with_attachments(records.message({**by_key[key], "id": None}), by_key[key]), parent)
        for key, parent in parents_first(parent_of, position.__getitem__)
    ]
    leaf = keys[len(messages) - 1] if messages else None
    return [(key, message, parent) for key, message, parent in ordered], leaf


def _insert_tree(
    conn: sqlite3.Connection,
    session_id: str,
    ordered: list[tuple[str, dict[str, Any], str | None]],
    leaf: str | None,
) -> None:
    ids: dict[str, str] = {}
    for seq, (key, message, parent) in enumerate(ordered, 1):
        ids[key] = message["id"]
        parent_id = ids.get(parent) if parent is not None else None
        write_message(conn, session_id, message, seq, parent_id)
        if message.get("attachments"):
            link_kept_attachments(conn, message["id"], message["attachments"])
    shown = ids.get(leaf) if leaf is not None else None
    if shown is None and ordered:
        shown = ordered[-1][1]["id"]
    conn.execute("UPDATE sessions SET shown_leaf_id = ? WHERE id = ?", (shown, session_id))


def _with_attachments(checked: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The checked message, with the attachment ids a user message of the export names."""
    attached = given.get("attachments")
    if checked["role"] == "user" and isinstance(attached, list):
        ids = [a.get("id") for a in attached if isinstance(a, dict)]
        checked["attachments"] = [i for i in ids if isinstance(i, str)]
    return checked


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


def _absolute_folder(value: str) -> str:
    folder = expand(value)
    if not folder.is_absolute():
        raise InvalidInput(
            f"The imported workspace {value!r} is not a full path to a folder; ignore it and"
            " choose a folder for this session instead."
        )
    return str(folder)
