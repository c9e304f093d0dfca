"""Full-text search over session titles and message text (SQLite FTS5), ranked, with snippets."""

from __future__ import annotations

import re
from typing import Any

from core.store import records
from core.store.database import Database
from core.store.sessions import SESSION_SELECT

MAX_TERMS = 16
HIT_START, HIT_END = "\x02", "\x03"  # markers FTS5 puts around matches; never in stored text
_WORD = re.compile(r"\w+", re.UNICODE)

# Best hit per session: messages and titles ranked together by bm25 (lower is better;
# a title hit counts double). SQLite returns the other columns of the MIN() row.
_HITS = """
WITH hits AS (
    SELECT m.session_id AS sid, bm25(messages_fts) AS score, messages_fts.rowid AS hit,
           'message' AS kind
    FROM messages_fts JOIN messages m ON m.rowid = messages_fts.rowid
    WHERE messages_fts MATCH :q
    UNION ALL
    SELECT s.id, 2 * bm25(sessions_fts), sessions_fts.rowid, 'title'
    FROM sessions_fts JOIN sessions s ON s.rowid = sessions_fts.rowid
    WHERE sessions_fts MATCH :q
),
best AS (SELECT sid, min(score) AS score, hit, kind FROM hits GROUP BY sid)
"""


def match_expression(query: str) -> str | None:
    """Turn what a person typed into a safe FTS5 query: every word, each as a prefix."""
    words = _WORD.findall(query)[:MAX_TERMS]
    if not words:
        return None
    return " ".join('"' + word.replace('"', "") + '"*' for word in words)


def segments(snippet: str) -> list[dict[str, Any]]:
    """Split an FTS5 snippet into ``[{"text", "hit"}]`` pieces the UI can render as text."""
    parts = []
    for i, piece in enumerate(re.split(f"[{HIT_START}{HIT_END}]", snippet)):
        if piece:
            parts.append({"text": piece, "hit": i % 2 == 1})
    return parts


class SearchMixin:
    db: Database

    def search_sessions(self, q: str, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """Sessions whose title or messages match ``q``, best first, each with a ``snippet``."""
        expression = match_expression(records.text(q, "search text", 1000))
        if expression is None:
            return {"sessions": [], "total": 0}
        with self.db.read() as conn:
            total = conn.execute(_HITS + "SELECT count(*) FROM best", {"q": expression}).fetchone()[
                0
            ]
            rows = conn.execute(
                _HITS + "SELECT sid, hit, kind FROM best ORDER BY score, sid"
                " LIMIT :limit OFFSET :offset",
                {"q": expression, "limit": limit, "offset": offset},
            ).fetchall()
            sessions = []
            for row in rows:
                session = records.session_row(
                    conn.execute(SESSION_SELECT + " WHERE s.id = ?", (row["sid"],)).fetchone()
                )
                table = "messages_fts" if row["kind"] == "message" else "sessions_fts"
                snippet = conn.execute(
                    f"SELECT snippet({table}, 0, ?, ?, '…', 12) FROM {table}"
                    f" WHERE {table} MATCH ? AND rowid = ?",
                    (HIT_START, HIT_END, expression, row["hit"]),
                ).fetchone()[0]
                session["snippet"] = segments(snippet)
                sessions.append(session)
        return {"sessions": sessions, "total": total}
