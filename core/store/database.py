"""Opening Hearth's SQLite file safely, and handing each thread its own connection.

A file that is not a Hearth database, is damaged, or comes from a newer Hearth is
refused before anything writes to it, so the refusal leaves it exactly as it was.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from core.errors import StoreError
from core.store import migrations

APPLICATION_ID = 0x48525448  # "HRTH" in the SQLite header marks the file as Hearth's
BUSY_TIMEOUT_S = 10.0


def probe(path: Path) -> int:
    """Return the schema version of the file at ``path`` (0 for none) without changing it."""
    if not path.exists() or path.stat().st_size == 0:
        return 0
    uri = "file:" + quote(str(path)) + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise StoreError(f"Hearth cannot open its database {path}: {exc}.") from exc
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"The file {path} is not a Hearth database or is damaged ({exc}). "
            "Hearth left it untouched; move it aside to start afresh."
        ) from exc
    finally:
        conn.close()
    if app_id != APPLICATION_ID and (app_id != 0 or tables):
        raise StoreError(
            f"The file {path} is a SQLite database, but not Hearth's. "
            "Hearth left it untouched; move it aside or choose another data folder."
        )
    if version > migrations.LATEST:
        raise StoreError(
            f"The database {path} was written by a newer Hearth (schema {version}; this Hearth "
            f"knows up to {migrations.LATEST}). Update Hearth; the file was left untouched."
        )
    return version


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL, waiting out another process that holds the file.

    Changing the journal mode does not go through SQLite's busy handler, so two processes
    opening a new database at once would otherwise see "database is locked".
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.005
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


class Database:
    """Connections to one database file: one per thread, WAL mode, foreign keys on."""

    def __init__(self, path: Path, backups: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._closed = False
        version = probe(path)
        conn = self.conn()
        try:
            migrations.migrate(conn, version, path, backups, APPLICATION_ID)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"Hearth could not prepare its database {path}: {exc}.") from exc

    def conn(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise StoreError(f"The database {self.path} is closed.")
        try:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            _use_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise StoreError(f"Hearth cannot open its database {self.path}: {exc}.") from exc
        self._local.conn = conn
        with self._all_lock:
            self._all.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front (BEGIN IMMEDIATE) so it never deadlocks."""
        conn = self.conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several reads."""
        conn = self.conn()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def close(self) -> None:
        self._closed = True
        with self._all_lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()
