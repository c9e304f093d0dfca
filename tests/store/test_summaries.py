"""Summaries in the store: the migration that allows them, and a compaction run's life."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from core.agent.context.plan import after_summary
from core.store import Store, migrations

FIXTURE = Path(__file__).parent.parent / "fixtures" / "hearth-schema1.sqlite3"


def schema_objects(path: Path) -> set[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return {
            (row[0], row[1])
            for row in conn.execute(
                "SELECT type, name FROM sqlite_master WHERE tbl_name = 'messages'"
            )
        }
    finally:
        conn.close()


def test_the_rebuilt_messages_table_keeps_rowids_search_indexes_and_triggers(paths, tmp_path):
    paths.create()
    shutil.copy(FIXTURE, paths.database)
    before = sqlite3.connect(FIXTURE)
    rowids = before.execute("SELECT rowid, id FROM messages ORDER BY rowid").fetchall()
    before.close()
    with Store(paths) as store:
        conn = sqlite3.connect(paths.database)
        kept = conn.execute("SELECT rowid, id FROM messages ORDER BY rowid").fetchall()
        assert kept[: len(rowids)] == rowids  # (then the message the recovery added)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.close()
        assert [s["id"] for s in store.list_sessions(q="starter")["sessions"]] == ["s1"]
        path = store.get_session("s1")["messages"]
        summary = store.add_summary("s1", "They talked about a starter.", path[-1]["id"])
        assert summary["role"] == "summary" and summary["covers_id"] == path[-1]["id"]
        # new messages are indexed by the triggers made again
        store.append_message("s1", {"role": "user", "content": "pumpernickel please"})
        assert [s["id"] for s in store.list_sessions(q="pumpernickel")["sessions"]] == ["s1"]
    fresh = tmp_path / "fresh"
    with Store(fresh):
        pass
    assert schema_objects(paths.database) == schema_objects(fresh / "hearth.sqlite3")


def test_rows_that_point_at_messages_survive_the_rebuild(paths):
    """Foreign keys are off while migrating: dropping the old table cascades to nothing."""
    paths.create()
    conn = sqlite3.connect(paths.database, isolation_level=None)
    conn.execute("BEGIN")
    for step in migrations.MIGRATIONS[:6]:
        step(conn)
    conn.execute("PRAGMA user_version = 6")
    conn.execute("PRAGMA application_id = 0x48525448")
    conn.execute("COMMIT")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(
        "INSERT INTO sessions (id, title, created_at, updated_at) VALUES ('s', 't', 'x', 'x')"
    )
    conn.execute(
        "INSERT INTO messages (id, session_id, seq, role, content, created_at)"
        " VALUES ('m', 's', 1, 'user', 'hi', 'x')"
    )
    conn.execute(
        "INSERT INTO attachments (id, sha256, name, type, size, created_at)"
        " VALUES ('a', 'h', 'f.txt', 'text/plain', 1, 'x')"
    )
    conn.execute("INSERT INTO message_attachments VALUES ('m', 0, 'a')")
    conn.close()
    with Store(paths):
        pass
    conn = sqlite3.connect(paths.database)
    assert conn.execute("SELECT * FROM message_attachments").fetchall() == [("m", 0, "a")]
    conn.close()


def test_an_interrupted_compaction_is_kept_but_never_taken_for_a_summary(paths):
    store = Store(paths)
    session = store.create_session(title="long")
    for n in range(3):
        store.append_message(session["id"], {"role": "user", "content": f"question {n}"})
        store.append_message(session["id"], {"role": "assistant", "content": f"answer {n}"})
    path = store.get_session(session["id"])["messages"]
    run = store.begin_compaction(session["id"], path[3]["id"])
    store.checkpoint(run["id"], "Half a summ")
    store.close()  # as if the process died: nobody finishes the run

    again = Store(paths)
    try:
        assert again.recovered == [run["id"]]
        shown = again.get_session(session["id"])["messages"]
        assert shown[-1]["role"] == "summary"
        assert shown[-1]["status"] == "interrupted" and shown[-1]["content"] == "Half a summ"
        text, rest = after_summary(shown)
        assert text is None and len(rest) == 7  # everything is still sent
        # the session is usable: a new compaction completes and is taken
        run = again.begin_compaction(session["id"], path[3]["id"])
        again.checkpoint(run["id"], "Two questions")
        again.finish_run(run["id"], "completed", "Two questions were answered.")
        shown = again.get_session(session["id"])["messages"]
        text, rest = after_summary(shown)
        assert text == "Two questions were answered."
        assert [m["content"] for m in rest if m["role"] != "summary"] == [
            "question 2",
            "answer 2",
        ]
        assert again.get_run(run["id"])["status"] == "completed"
    finally:
        again.close()


def test_a_summary_is_exported_with_the_messages_it_covers(store):
    session = store.create_session(title="exported")
    first = store.append_message(session["id"], {"role": "user", "content": "hello there"})
    store.add_summary(session["id"], "They said hello.", first["id"])
    markdown = store.export_markdown(session["id"])
    assert "hello there" in markdown and "They said hello." in markdown
    assert markdown.index("hello there") < markdown.index("## Summary of the turns above")
    exported = store.export_json(session["id"])
    assert [m["role"] for m in exported["messages"]] == ["user", "summary"]
