"""The approval ledger's table rows: tool policies, "allow always" grants, and MCP tool pins.

A tool is named by (server, tool): ``server`` is '' for Hearth's built-in tools, and
``tool`` is the tool's own name on its server (not the ``server__tool`` the model sees).
"""

from __future__ import annotations

import json
from typing import Any

from core import clock
from core.errors import InvalidInput, NotFound
from core.ids import new_id

POLICIES = ("ask", "allow", "deny")


class GrantsMixin:
    db: Any

    # --- policies ------------------------------------------------------------------

    def tool_policy(self, server: str, tool: str) -> str | None:
        """The policy the user set for the tool, or None (its default applies)."""
        with self.db.connection() as conn:
            row = conn.execute(
                "SELECT policy FROM tool_policies WHERE server = ? AND tool = ?",
                (server or "", tool),
            ).fetchone()
        return row[0] if row else None

    def tool_policies(self) -> dict[tuple[str, str], str]:
        with self.db.connection() as conn:
            rows = conn.execute("SELECT server, tool, policy FROM tool_policies").fetchall()
        return {(r[0], r[1]): r[2] for r in rows}

    def set_tool_policy(self, server: str, tool: str, policy: str | None) -> None:
        """Set the tool's policy; None forgets it (back to the tool's default)."""
        if policy is not None and policy not in POLICIES:
            raise InvalidInput(f"A tool's policy must be one of {', '.join(POLICIES)}.")
        with self.db.write() as conn:
            if policy is None:
                conn.execute(
                    "DELETE FROM tool_policies WHERE server = ? AND tool = ?", (server or "", tool)
                )
            else:
                conn.execute(
                    "INSERT INTO tool_policies (server, tool, policy, updated_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (server, tool) "
                    "DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at",
                    (server or "", tool, policy, clock.now()),
                )

    # --- grants -----------------------------------------------------------------------

    def add_grant(
        self,
        server: str,
        tool: str,
        *,
        path_prefix: str | None = None,
        session_id: str | None = None,
        session_title: str | None = None,
        workspace: str | None = None,
    ) -> dict[str, Any]:
        grant_id = new_id()
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO grants (id, server, tool, path_prefix, created_at, session_id, "
                "session_title, workspace) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    grant_id,
                    server or "",
                    tool,
                    path_prefix,
                    clock.now(),
                    session_id,
                    session_title,
                    workspace,
                ),
            )
        return self.grant(grant_id)

    def grant(self, grant_id: str) -> dict[str, Any]:
        found = [g for g in self.grants() if g["id"] == grant_id]
        if not found:
            raise NotFound(f"No grant has the id {grant_id}.")
        return found[0]

    def grants(self, server: str | None = None, tool: str | None = None) -> list[dict[str, Any]]:
        """Grants, newest first; ``suspended`` when the tool changed since it was pinned."""
        sql = (
            "SELECT g.id, g.server, g.tool, g.path_prefix, g.created_at, g.session_id, "
            "g.session_title, g.workspace, p.pin, p.seen_pin FROM grants AS g "
            "LEFT JOIN tool_pins AS p ON p.server = g.server AND p.tool = g.tool"
        )
        args: tuple = ()
        if server is not None and tool is not None:
            sql += " WHERE g.server = ? AND g.tool = ?"
            args = (server or "", tool)
        with self.db.connection() as conn:
            rows = conn.execute(sql + " ORDER BY g.created_at DESC, g.id", args).fetchall()
        return [
            {
                "id": r[0],
                "server": r[1] or None,
                "tool": r[2],
                "path_prefix": r[3],
                "created_at": r[4],
                "session_id": r[5],
                "session_title": r[6],
                "workspace": r[7],
                "suspended": bool(r[8] and r[9] and r[8] != r[9]),
            }
            for r in rows
        ]

    def delete_grant(self, grant_id: str) -> None:
        with self.db.write() as conn:
            gone = conn.execute("DELETE FROM grants WHERE id = ?", (grant_id,)).rowcount
        if not gone:
            raise NotFound(f"No grant has the id {grant_id}.")

    def forget_server(self, server: str) -> None:
        """Drop every policy, grant and pin of the MCP server ``server`` (removed or
        replaced: what the user allowed was another server's)."""
        if not server:
            return  # '' is Hearth's own tools
        with self.db.write() as conn:
            for table in ("grants", "tool_policies", "tool_pins"):
                conn.execute(f"DELETE FROM {table} WHERE server = ?", (server,))  # noqa: S608

    # --- pins ---------------------------------------------------------------------------

    def tool_pin(self, server: str, tool: str) -> dict[str, Any] | None:
        with self.db.connection() as conn:
            row = conn.execute(
                "SELECT pin, definition, pinned_at, seen_pin FROM tool_pins "
                "WHERE server = ? AND tool = ?",
                (server, tool),
            ).fetchone()
        if row is None:
            return None
        return {
            "pin": row[0],
            "definition": json.loads(row[1]),
            "pinned_at": row[2],
            "seen_pin": row[3],
        }

    def pin_tool(self, server: str, tool: str, pin: str, definition: dict[str, Any]) -> None:
        """Record what the user allowed: the tool's hash and its definition, now."""
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO tool_pins (server, tool, pin, definition, pinned_at, seen_pin) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (server, tool) DO UPDATE SET "
                "pin = excluded.pin, definition = excluded.definition, "
                "pinned_at = excluded.pinned_at, seen_pin = excluded.seen_pin",
                (server, tool, pin, json.dumps(definition), clock.now(), pin),
            )

    def note_tool_seen(self, server: str, tool: str, pin: str) -> None:
        """Remember the hash the server now gives for a pinned tool (no write if unchanged)."""
        with self.db.connection() as conn:
            row = conn.execute(
                "SELECT seen_pin FROM tool_pins WHERE server = ? AND tool = ?", (server, tool)
            ).fetchone()
        if row is None or row[0] == pin:
            return
        with self.db.write() as conn:
            conn.execute(
                "UPDATE tool_pins SET seen_pin = ? WHERE server = ? AND tool = ?",
                (pin, server, tool),
            )
