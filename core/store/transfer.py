"""A session out and back in: Markdown for people, JSON for Hearth (and for scripts).

An imported file never chooses where the agent works or what it is told in secret: the
workspace and system prompt it asks for are kept aside (``import_review``) and the session
has neither until the user, having seen them, decides with ``confirm_import``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core import clock
from core.errors import Conflict, InvalidInput
from core.ids import new_id
from core.store import records
from core.store.database import Database
from core.store.sessions import insert_message, require_session

EXPORT_FORMAT = "hearth.session"
EXPORT_VERSION = 1
SPEAKERS = {"user": "You", "assistant": "Assistant", "tool": "Tool"}


def _fence(text: str, info: str = "") -> str:
    """A code fence longer than any run of backticks inside ``text``."""
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text}\n{ticks}"


class TransferMixin:
    db: Database

    def export_json(self, session_id: str) -> dict[str, Any]:
        session = self.get_session(session_id)
        session.pop("active_run", None)
        session.pop("import_review", None)  # what a file asked for is not passed on unseen
        messages = session.pop("messages")
        session.pop("message_count", None)
        for message in messages:
            message.pop("run_id", None)
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": clock.now(),
            "session": session,
            "messages": messages,
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
                lines.append(_fence(message["content"]))
            elif message["content"]:
                lines.append(message["content"])
            for call in message.get("tool_calls") or []:
                lines += [
                    "",
                    f"**Tool call** `{call['name']}`",
                    "",
                    _fence(call["arguments"], "json"),
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
        checked = [records.message({**m, "id": None}) for m in messages if _is_dict(m)]
        if len(checked) != len(messages):
            raise InvalidInput("Every message in the export must be an object.")
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO sessions (id, title, created_at, updated_at, pinned, model,"
                " imported_workspace, imported_system_prompt, import_pending)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            for message in checked:
                insert_message(conn, row[0], message)
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


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


def _absolute_folder(value: str) -> str:
    try:
        folder = Path(value).expanduser()
    except RuntimeError:  # "~someone" with no such user
        folder = Path(value)
    if not folder.is_absolute():
        raise InvalidInput(
            f"The imported workspace {value!r} is not a full path to a folder; ignore it and"
            " choose a folder for this session instead."
        )
    return str(folder)
