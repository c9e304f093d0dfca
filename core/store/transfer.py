"""A session out and back in: Markdown for people, JSON for Hearth (and for scripts)."""

from __future__ import annotations

import json
from typing import Any

from core import clock
from core.errors import InvalidInput
from core.ids import new_id
from core.store import records
from core.store.database import Database
from core.store.sessions import insert_message

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
        row = (
            new_id(),
            records.title(session.get("title") or ""),
            created,
            updated,
            int(records.flag(session.get("pinned", False), "pinned")),
            records.optional_text(session.get("model"), "model", 300),
            records.optional_text(session.get("workspace"), "workspace"),
            records.optional_text(
                session.get("system_prompt"), "system prompt", records.MAX_CONTENT
            ),
        )
        checked = [records.message({**m, "id": None}) for m in messages if _is_dict(m)]
        if len(checked) != len(messages):
            raise InvalidInput("Every message in the export must be an object.")
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO sessions (id, title, created_at, updated_at, pinned, model,"
                " workspace, system_prompt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            for message in checked:
                insert_message(conn, row[0], message)
        return self.get_session(row[0])


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)
