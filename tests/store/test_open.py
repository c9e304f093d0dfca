import hashlib
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from core.errors import StoreError
from core.store import Store, migrations
from tests.conftest import python

FIXTURE = Path(__file__).parent.parent / "fixtures" / "hearth-schema1.sqlite3"


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_database_is_wal_and_current(paths):
    with Store(paths):
        pass
    conn = sqlite3.connect(paths.database)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST
    assert not paths.backups.exists()  # nothing to back up on a new database


@pytest.mark.parametrize(
    "content",
    [b"this is my diary, not a database\n" * 100, b"SQLite format 3\x00" + b"\xff" * 4000],
    ids=["text file", "damaged header"],
)
def test_a_file_that_is_not_hearths_database_is_named_and_left_alone(paths, content):
    paths.create()
    paths.database.write_bytes(content)
    with pytest.raises(StoreError, match=str(paths.database)):
        Store(paths)
    assert paths.database.read_bytes() == content


def test_another_apps_sqlite_database_is_refused_untouched(paths):
    paths.create()
    conn = sqlite3.connect(paths.database)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    before = digest(paths.database)
    with pytest.raises(StoreError, match="not Hearth's"):
        Store(paths)
    assert digest(paths.database) == before


def test_a_truncated_database_is_refused_untouched(paths):
    with Store(paths) as store:
        for i in range(300):
            store.create_session(title=f"session {i} " + "padding " * 20)
    conn = sqlite3.connect(paths.database)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = paths.database.read_bytes()
    paths.database.write_bytes(data[: len(data) // 3])
    before = digest(paths.database)
    with pytest.raises(StoreError, match=str(paths.database)):
        with Store(paths) as store:
            store.list_sessions(limit=500)
            store.list_sessions(q="session")
    assert digest(paths.database) == before


def test_a_database_from_a_newer_hearth_is_refused_untouched(paths):
    with Store(paths):
        pass
    conn = sqlite3.connect(paths.database)
    conn.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
    conn.commit()
    conn.close()
    before = digest(paths.database)
    with pytest.raises(StoreError, match="newer Hearth"):
        Store(paths)
    assert digest(paths.database) == before


def test_migrating_an_old_database_backs_it_up_and_keeps_everything(paths):
    paths.create()
    shutil.copy(FIXTURE, paths.database)
    with Store(paths) as store:
        backups = list(paths.backups.iterdir())
        assert len(backups) == 1 and "schema1" in backups[0].name
        old = sqlite3.connect(backups[0])
        assert old.execute("PRAGMA user_version").fetchone()[0] == 1
        assert old.execute("SELECT count(*) FROM messages").fetchone()[0] == 3
        old.close()

        listed = store.list_sessions()["sessions"]
        assert [s["title"] for s in listed] == ["Sourdough starter", "Trip to Lisbon"]
        assert listed[0]["pinned"] is True
        # the old messages are searchable after the upgrade
        assert [s["id"] for s in store.list_sessions(q="starter")["sessions"]] == ["s1"]
        assert store.list_sessions(q="lisbon")["total"] == 1
        # the run the dead process left live was recovered with its partial text
        assert store.recovered == ["r1"]
        lisbon = store.get_session("s2")
        assert lisbon["messages"][-1]["content"] == "Start at the Alfama"
        assert lisbon["messages"][-1]["status"] == "interrupted"
    with Store(paths):
        assert len(list(paths.backups.iterdir())) == 1  # no second migration, no second backup


CHATTER = """
import sys
from core.store import Store
store = Store(sys.argv[1])
for i in range(150):
    s = store.create_session(title=f"{sys.argv[2]} {i}")
    store.append_message(s["id"], {"role": "user", "content": f"hello {i}"})
    run = store.begin_run(s["id"], "go")["run"]
    store.checkpoint(run["id"], "partial")
    store.finish_run(run["id"], "completed", "done")
store.close()
"""


def test_two_processes_on_one_data_dir_never_corrupt_it(paths):
    paths.create()
    children = [python("-c", CHATTER, str(paths.data), name) for name in ("left", "right")]
    assert [child.wait(timeout=120) for child in children] == [0, 0]
    with Store(paths) as store:
        assert store.list_sessions()["total"] == 300
        assert store.list_sessions(q="left")["total"] == 150
        with store.db.connection() as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 300 * 3
            live = conn.execute("SELECT count(*) FROM runs WHERE status = 'live'").fetchone()[0]
            assert live == 0


def test_opening_waits_for_another_process_that_holds_a_new_database(paths):
    """A second process opening the database waits for the lock instead of failing."""
    paths.create()
    holder = sqlite3.connect(paths.database, isolation_level=None)
    holder.execute("CREATE TABLE probe (x)")  # a real file, rollback mode
    holder.execute("DROP TABLE probe")
    holder.execute("BEGIN EXCLUSIVE")
    opened, failed = threading.Event(), []

    def open_store():
        try:
            Store(paths).close()
        except Exception as exc:  # the assertion below shows it
            failed.append(exc)
        opened.set()

    thread = threading.Thread(target=open_store)
    thread.start()
    assert not opened.wait(0.3)  # still waiting for the lock, not failed
    holder.execute("COMMIT")
    holder.close()
    thread.join(15)
    assert failed == []
    with Store(paths) as store:
        assert store.list_sessions()["total"] == 0


def test_an_old_database_becomes_one_path_per_session(paths):
    paths.create()
    shutil.copy(FIXTURE, paths.database)
    with Store(paths) as store:
        with store.db.connection() as conn:
            rows = conn.execute(
                "SELECT id, session_id, seq, parent_id FROM messages ORDER BY session_id, seq"
            ).fetchall()
            leaves = dict(conn.execute("SELECT id, shown_leaf_id FROM sessions").fetchall())
        by_session: dict[str, list] = {}
        for row in rows:
            by_session.setdefault(row["session_id"], []).append(row)
        for session_id, messages in by_session.items():
            assert messages[0]["parent_id"] is None
            for before, after in zip(messages, messages[1:], strict=False):
                assert after["parent_id"] == before["id"]
            assert leaves[session_id] == messages[-1]["id"]
        session = next(iter(by_session))
        added = store.append_message(session, {"role": "user", "content": "and then?"})
        with store.db.connection() as conn:
            parent = conn.execute(
                "SELECT parent_id FROM messages WHERE id = ?", (added["id"],)
            ).fetchone()[0]
        assert parent == by_session[session][-1]["id"]
        assert store.get_session(session)["tools_enabled"] is True
