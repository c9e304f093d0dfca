"""Full-text search over session titles and the text of every message version (SQLite FTS5).

A page of results costs what the page needs, not what the whole match set would: sessions
whose title matches come first (most recently updated first), then sessions whose messages
match, the one with the most recently written matching message first, read from the index
newest first and cut at the page. ``total`` is exact when the match set is small enough to
walk cheaply, otherwise a lower bound (``total_exact`` false).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from core.store import records
from core.store.database import Database
from core.store.sessions import SESSION_SELECT

MAX_TERMS = 16
SNIPPET_TOKENS = 12
COUNT_BUDGET = 1000  # message hits read past the page to count the matching sessions exactly
_WORD = re.compile(r"\w+", re.UNICODE)
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)  # what FTS5's unicode61 tokenizer calls a token
_SPACE = re.compile(r"\s+")

_TITLE_HITS = """
SELECT s.id FROM sessions_fts f JOIN sessions s ON s.rowid = f.rowid
WHERE sessions_fts MATCH ? ORDER BY s.updated_at DESC, s.rowid DESC
"""
# FTS5 reads a match newest rowid first without sorting anything, so the loop below can stop.
_MESSAGE_HITS = """
SELECT m.session_id, m.id FROM messages_fts f JOIN messages m ON m.rowid = f.rowid
WHERE messages_fts MATCH ? ORDER BY f.rowid DESC
"""


def match_expression(query: str) -> str | None:
    """Turn what a person typed into a safe FTS5 query: every word, each as a prefix."""
    words = _WORD.findall(query)[:MAX_TERMS]
    if not words:
        return None
    return " ".join('"' + word.replace('"', "") + '"*' for word in words)


def fold(text: str) -> str:
    """Lower case without diacritics, as the index compares words."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def query_terms(query: str) -> list[str]:
    """The folded prefixes a word must start with to count as a match."""
    return [fold(token) for token in _TOKEN.findall(" ".join(_WORD.findall(query)[:MAX_TERMS]))]


def snippet(text: str, terms: list[str]) -> list[dict[str, Any]]:
    """``[{"text", "hit"}]`` pieces of ``text`` around its first matching word, at most
    ``SNIPPET_TOKENS`` words, which a UI renders as text, never as HTML."""
    prefixes = tuple(terms)
    tokens: list[tuple[int, int, bool]] = []
    first = None
    more = False
    for match in _TOKEN.finditer(text):
        if first is not None and len(tokens) >= first + SNIPPET_TOKENS:
            more = True
            break
        hit = bool(prefixes) and fold(match.group()).startswith(prefixes)
        if hit and first is None:
            first = len(tokens)
        tokens.append((match.start(), match.end(), hit))
    if not tokens:
        return []
    start = max(0, min((first or 0) - 3, len(tokens) - SNIPPET_TOKENS))
    window = tokens[start : start + SNIPPET_TOKENS]
    begin = window[0][0] if start else 0
    end = len(text) if start + SNIPPET_TOKENS >= len(tokens) and not more else window[-1][1]
    pieces: list[dict[str, Any]] = []
    if begin:
        pieces.append({"text": "…", "hit": False})
    at = begin
    for token_start, token_end, hit in window:
        if hit:
            _add(pieces, text[at:token_start], False)
            _add(pieces, text[token_start:token_end], True)
            at = token_end
    _add(pieces, text[at:end], False)
    if text[end:].strip():
        _add(pieces, "…", False)
    return pieces


def _add(pieces: list[dict[str, Any]], text: str, hit: bool) -> None:
    text = _SPACE.sub(" ", text)
    if not text:
        return
    if pieces and pieces[-1]["hit"] == hit:
        pieces[-1]["text"] += text
    else:
        pieces.append({"text": text, "hit": hit})


class SearchMixin:
    db: Database

    def search_sessions(self, q: str, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """Sessions whose title or any message (in any version) matches ``q``: title matches
        first, then by the most recent matching message. Each has a ``snippet`` and
        ``hit_message_id`` (the matching message, None for a title match)."""
        text = records.text(q, "search text", 1000)
        expression = match_expression(text)
        if expression is None:
            return {"sessions": [], "total": 0, "total_exact": True}
        with self.db.read() as conn:
            titled = [row[0] for row in conn.execute(_TITLE_HITS, (expression,))]
            page: list[tuple[str, str | None]] = [(sid, None) for sid in titled[offset:][:limit]]
            skip = max(0, offset - len(titled))
            wanted = skip + limit - len(page)
            found, exact = _message_hits(conn, expression, set(titled), wanted)
            page += found[skip:wanted]
            sessions = _summaries(conn, page, query_terms(text))
        return {"sessions": sessions, "total": len(titled) + len(found), "total_exact": exact}


def _message_hits(conn, expression: str, titled: set[str], wanted: int):
    """The first ``wanted`` sessions with a matching message (not already titled), newest
    match first, as ``(session id, message id)``; more are read, up to ``COUNT_BUDGET`` hits,
    to count them. Returns them and whether the count is complete."""
    found: list[tuple[str, str]] = []
    seen = set(titled)
    read = 0
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: thousands of rows may pass through here
    cursor.execute(_MESSAGE_HITS, (expression,))
    try:
        while rows := cursor.fetchmany(256):
            for session_id, message_id in rows:
                if len(found) >= wanted and read >= COUNT_BUDGET:
                    return found, False
                read += 1
                if session_id not in seen:
                    seen.add(session_id)
                    found.append((session_id, message_id))
        return found, True
    finally:
        cursor.close()


def _summaries(conn, page: list[tuple[str, str | None]], terms: list[str]) -> list[dict]:
    if not page:
        return []
    ids = [sid for sid, _ in page]
    marks = ",".join("?" * len(ids))
    rows = {r["id"]: r for r in conn.execute(SESSION_SELECT + f" WHERE s.id IN ({marks})", ids)}
    hit_ids = [mid for _, mid in page if mid]
    texts = dict(
        conn.execute(
            f"SELECT id, content FROM messages WHERE id IN ({','.join('?' * len(hit_ids))})",
            hit_ids,
        ).fetchall()
    )
    sessions = []
    for sid, message_id in page:
        if sid not in rows:
            continue
        session = records.session_row(rows[sid])
        source = texts.get(message_id, "") if message_id else session["title"]
        session["snippet"] = snippet(source, terms)
        session["hit_message_id"] = message_id
        sessions.append(session)
    return sessions
