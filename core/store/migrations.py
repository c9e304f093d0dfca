"""The database schema, as numbered migrations applied in order.

``PRAGMA user_version`` holds the number of migrations applied. Before any
migration runs on a database that already holds data, a copy is written to
``DATA/backups/`` with SQLite's backup API (consistent even mid-WAL).
Never edit a released migration: add a new one at the end.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from core import clock


def _v1_sessions_messages_runs(conn: sqlite3.Connection) -> None:
    _script(
        conn,
        """
        CREATE TABLE sessions (
            id         TEXT PRIMARY KEY,
            title      TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            pinned     INTEGER NOT NULL DEFAULT 0,
            model      TEXT,
            workspace  TEXT
        );
        CREATE INDEX sessions_by_order ON sessions (pinned DESC, updated_at DESC);

        CREATE TABLE messages (
            id           TEXT PRIMARY KEY,
            session_id   TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            seq          INTEGER NOT NULL,
            role         TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
            content      TEXT NOT NULL DEFAULT '',
            status       TEXT NOT NULL DEFAULT 'complete'
                         CHECK (status IN ('complete', 'interrupted', 'cancelled', 'error')),
            tool_calls   TEXT,
            tool_call_id TEXT,
            name         TEXT,
            created_at   TEXT NOT NULL,
            usage        TEXT,
            run_id       TEXT,
            UNIQUE (session_id, seq)
        );

        CREATE TABLE runs (
            id           TEXT PRIMARY KEY,
            session_id   TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            status       TEXT NOT NULL
                         CHECK (status IN ('live', 'completed', 'failed', 'cancelled',
                                           'interrupted')),
            started_at   TEXT NOT NULL,
            updated_at   TEXT NOT NULL,
            ended_at     TEXT,
            owner        TEXT NOT NULL,
            model        TEXT,
            partial_text TEXT NOT NULL DEFAULT '',
            error        TEXT
        );
        CREATE UNIQUE INDEX runs_one_live_per_session ON runs (session_id) WHERE status = 'live';
        CREATE INDEX runs_by_session ON runs (session_id);

        CREATE TABLE run_steps (
            run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            idx     INTEGER NOT NULL,
            message TEXT NOT NULL,
            PRIMARY KEY (run_id, idx)
        ) WITHOUT ROWID;
        """,
    )


def _v2_search_reasoning_prompts(conn: sqlite3.Connection) -> None:
    """Full-text search over titles and message text; reasoning, errors, per-session prompts.

    Only user and assistant text is indexed (tool output is noise for a search).
    The title trigger fires on ``UPDATE OF title`` only, so moving ``updated_at``
    (which every checkpoint does) never touches the index.
    """
    _script(
        conn,
        """
        ALTER TABLE sessions ADD COLUMN system_prompt TEXT;
        ALTER TABLE messages ADD COLUMN reasoning TEXT;
        ALTER TABLE messages ADD COLUMN error TEXT;
        ALTER TABLE runs ADD COLUMN partial_reasoning TEXT NOT NULL DEFAULT '';

        CREATE VIRTUAL TABLE messages_fts USING fts5 (
            content, content = 'messages', content_rowid = 'rowid',
            tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
        WHEN new.role IN ('user', 'assistant') BEGIN
            INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
        END;
        CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
        WHEN old.role IN ('user', 'assistant') BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, content)
            VALUES ('delete', old.rowid, old.content);
        END;
        CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages
        WHEN old.role IN ('user', 'assistant') BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, content)
            VALUES ('delete', old.rowid, old.content);
            INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
        END;

        CREATE VIRTUAL TABLE sessions_fts USING fts5 (
            title, content = 'sessions', content_rowid = 'rowid',
            tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER sessions_fts_insert AFTER INSERT ON sessions BEGIN
            INSERT INTO sessions_fts (rowid, title) VALUES (new.rowid, new.title);
        END;
        CREATE TRIGGER sessions_fts_delete AFTER DELETE ON sessions BEGIN
            INSERT INTO sessions_fts (sessions_fts, rowid, title)
            VALUES ('delete', old.rowid, old.title);
        END;
        CREATE TRIGGER sessions_fts_update AFTER UPDATE OF title ON sessions BEGIN
            INSERT INTO sessions_fts (sessions_fts, rowid, title)
            VALUES ('delete', old.rowid, old.title);
            INSERT INTO sessions_fts (rowid, title) VALUES (new.rowid, new.title);
        END;

        INSERT INTO messages_fts (rowid, content)
            SELECT rowid, content FROM messages WHERE role IN ('user', 'assistant');
        INSERT INTO sessions_fts (rowid, title) SELECT rowid, title FROM sessions;
        """,
    )


def _v3_import_review(conn: sqlite3.Connection) -> None:
    """What an imported session asks for (a workspace, a system prompt), kept aside.

    ``import_pending`` is 1 until the user has seen the request and decided; meanwhile the
    session has no workspace and no custom prompt of its own.
    """
    _script(
        conn,
        """
        ALTER TABLE sessions ADD COLUMN imported_workspace TEXT;
        ALTER TABLE sessions ADD COLUMN imported_system_prompt TEXT;
        ALTER TABLE sessions ADD COLUMN import_pending INTEGER NOT NULL DEFAULT 0;
        """,
    )


def _v4_message_tree_and_chat_only(conn: sqlite3.Connection) -> None:
    """Messages form a tree: each points at the message before it on its branch
    (``parent_id``, NULL for a first message), and a session shows the path that ends at
    ``shown_leaf_id``. Every existing session becomes one path, in its old order.
    ``tools_enabled`` 0 makes a chat "chat only": no tools are offered to its model.
    """
    _script(
        conn,
        """
        ALTER TABLE messages ADD COLUMN parent_id TEXT;
        ALTER TABLE sessions ADD COLUMN shown_leaf_id TEXT;
        ALTER TABLE sessions ADD COLUMN tools_enabled INTEGER NOT NULL DEFAULT 1;
        UPDATE messages SET parent_id = (
            SELECT before.id FROM messages AS before
            WHERE before.session_id = messages.session_id AND before.seq < messages.seq
            ORDER BY before.seq DESC LIMIT 1
        );
        UPDATE sessions SET shown_leaf_id = (
            SELECT m.id FROM messages AS m WHERE m.session_id = sessions.id
            ORDER BY m.seq DESC LIMIT 1
        );
        CREATE INDEX messages_by_parent ON messages (session_id, parent_id);
        """,
    )


def _v5_tool_ledger(conn: sqlite3.Connection) -> None:
    """The approval ledger: each tool's policy (``server`` is '' for a built-in tool), the
    grants an "allow always" left (kept across restarts, optionally for a path prefix), and
    the pins: a hash of an MCP tool's name, description and schema when it was first
    allowed, with the hash last seen from its server (different: its grants are suspended).
    """
    _script(
        conn,
        """
        CREATE TABLE tool_policies (
            server     TEXT NOT NULL DEFAULT '',
            tool       TEXT NOT NULL,
            policy     TEXT NOT NULL CHECK (policy IN ('ask', 'allow', 'deny')),
            updated_at TEXT NOT NULL,
            PRIMARY KEY (server, tool)
        );
        CREATE TABLE grants (
            id            TEXT PRIMARY KEY,
            server        TEXT NOT NULL DEFAULT '',
            tool          TEXT NOT NULL,
            path_prefix   TEXT,
            created_at    TEXT NOT NULL,
            session_id    TEXT,
            session_title TEXT,
            workspace     TEXT
        );
        CREATE INDEX grants_by_tool ON grants (server, tool);
        CREATE TABLE tool_pins (
            server     TEXT NOT NULL,
            tool       TEXT NOT NULL,
            pin        TEXT NOT NULL,
            definition TEXT NOT NULL,
            pinned_at  TEXT NOT NULL,
            seen_pin   TEXT,
            PRIMARY KEY (server, tool)
        );
        """,
    )


def _v6_attachments(conn: sqlite3.Connection) -> None:
    """Files attached to user messages: one row per upload, the bytes kept once per sha256
    in ``DATA/attachments``; a message lists its own in ``messages.attachments`` (as shown)
    and in ``message_attachments`` (what keeps a file alive)."""
    _script(
        conn,
        """
        CREATE TABLE attachments (
            id         TEXT PRIMARY KEY,
            sha256     TEXT NOT NULL,
            name       TEXT NOT NULL,
            type       TEXT NOT NULL,
            size       INTEGER NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX attachments_by_sha256 ON attachments (sha256);
        CREATE TABLE message_attachments (
            message_id    TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
            idx           INTEGER NOT NULL,
            attachment_id TEXT NOT NULL REFERENCES attachments (id),
            PRIMARY KEY (message_id, idx)
        );
        CREATE INDEX message_attachments_by_attachment ON message_attachments (attachment_id);
        ALTER TABLE messages ADD COLUMN attachments TEXT;
        """,
    )


def _v7_summaries(conn: sqlite3.Connection) -> None:
    """A compaction's summary is a message of its own (``role`` 'summary'), whose
    ``covers_id`` is the last message it summarises. SQLite cannot change a CHECK, so the
    messages table is rebuilt from its own stored definition with the new role allowed,
    keeping every rowid (``messages_fts`` points at them), then its indexes and triggers
    are made again as they were. ``migrate`` turns foreign keys off around it, so dropping
    the old table cascades to nothing.
    """
    table_sql = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'messages'"
    ).fetchone()[0]
    old_check = "CHECK (role IN ('user', 'assistant', 'tool'))"
    if old_check not in table_sql:
        raise RuntimeError("the messages table does not have the expected role check")
    rebuilt = table_sql.replace(
        old_check, "CHECK (role IN ('user', 'assistant', 'tool', 'summary'))"
    ).replace("CREATE TABLE messages", "CREATE TABLE messages_rebuilt", 1)
    keep = conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'messages'"
        " AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name"
    ).fetchall()
    columns = ", ".join(row[1] for row in conn.execute("PRAGMA table_info(messages)"))
    conn.execute(rebuilt)
    conn.execute(
        f"INSERT INTO messages_rebuilt (rowid, {columns}) SELECT rowid, {columns} FROM messages"
    )
    conn.execute("DROP TABLE messages")
    conn.execute("ALTER TABLE messages_rebuilt RENAME TO messages")
    for (sql,) in keep:
        conn.execute(sql)
    conn.execute("ALTER TABLE messages ADD COLUMN covers_id TEXT")


def _v8_title_source(conn: sqlite3.Connection) -> None:
    """Who named a session: 'user' (never named again by Hearth), 'first_message' (the
    cleaned first line, until the model names it), 'titling' (the model is asked),
    'model', 'fallback' (the model could not: the first line stays). NULL for sessions
    named before this (by the user or from their first message: both are kept as they are)."""
    conn.execute("ALTER TABLE sessions ADD COLUMN title_source TEXT")


def _script(conn: sqlite3.Connection, sql: str) -> None:
    """Run several statements inside the caller's transaction.

    ``executescript`` would commit first, breaking the all-or-nothing migration.
    """
    statement = ""
    for line in sql.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement!r}")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1_sessions_messages_runs,
    _v2_search_reasoning_prompts,
    _v3_import_review,
    _v4_message_tree_and_chat_only,
    _v5_tool_ledger,
    _v6_attachments,
    _v7_summaries,
    _v8_title_source,
]
LATEST = len(MIGRATIONS)


def migrate(
    conn: sqlite3.Connection, seen_version: int, path: Path, backups: Path, application_id: int
) -> None:
    """Bring the database to ``LATEST``; back it up first if it holds an older schema."""
    if seen_version == LATEST:
        return
    if seen_version > 0:
        backup(conn, path, backups, seen_version)  # outside the write lock, which it would wait on
    # A table rebuild (see _v7_summaries) must not cascade deletes: foreign keys are off
    # while migrations run (the pragma is a no-op inside a transaction, so it goes first).
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
        if version < LATEST:
            for number in range(version, LATEST):
                MIGRATIONS[number](conn)
            conn.execute(f"PRAGMA user_version = {LATEST}")
            conn.execute(f"PRAGMA application_id = {application_id}")
    except BaseException:
        conn.execute("ROLLBACK")
        conn.execute("PRAGMA foreign_keys = ON")
        raise
    conn.execute("COMMIT")
    conn.execute("PRAGMA foreign_keys = ON")


def backup(conn: sqlite3.Connection, path: Path, backups: Path, version: int) -> Path:
    from core.paths import make_private_dir

    make_private_dir(backups)
    stamp = clock.now().replace(":", "").replace("-", "").replace(".", "")
    target_path = backups / f"{path.stem}-schema{version}-{stamp}.sqlite3"
    target = sqlite3.connect(target_path)
    try:
        conn.backup(target)
    finally:
        target.close()
    return target_path
