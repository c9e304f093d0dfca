"""Opening Hearth's SQLite file safely, and lending its threads a few pooled connections.

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
POOL_SIZE = 4  # readers run side by side in WAL mode; one writer at a time anyway


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
    """A small pool of connections to one database file: WAL mode, foreign keys on.

    A thread borrows a connection for one read, one write or one statement and gives it
    back; nested borrows in the same thread share it. So the number of open connections
    (and their page caches) is bounded by ``size`` however many threads the server runs,
    and a thread that ends holds none.
    """

    def __init__(self, path: Path, backups: Path, size: int = POOL_SIZE) -> None:
        self.path = path
        self.size = size
        self._local = threading.local()
        self._idle: list[sqlite3.Connection] = []
        self._opened = 0
        self._cond = threading.Condition()
        self._closed = False
        version = probe(path)
        try:
            with self.connection() as conn:
                migrations.migrate(conn, version, path, backups, APPLICATION_ID)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"Hearth could not prepare its database {path}: {exc}.") from exc
        except BaseException:
            self.close()
            raise

    @property
    def open_connections(self) -> int:
        with self._cond:
            return self._opened

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A connection for this thread until the block ends (autocommit outside BEGIN)."""
        held = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        conn = self._borrow()
        self._local.conn = conn
        try:
            with translated(self.path):
                yield conn
        finally:
            self._local.conn = None
            self._give_back(conn)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front (BEGIN IMMEDIATE) so it never deadlocks."""
        with self.connection() as conn, translated(self.path):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                _rollback(conn)
                raise
            try:
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several reads."""
        with self.connection() as conn, translated(self.path):
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                _rollback(conn)

    def close(self) -> None:
        """Close the idle connections now and each borrowed one when it is given back."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._opened -= len(idle)
            self._cond.notify_all()
        for conn in idle:
            _close(conn)

    def _borrow(self) -> sqlite3.Connection:
        with self._cond:
            while True:
                if self._closed:
                    raise StoreError(f"The database {self.path} is closed.")
                if self._idle:
                    return self._idle.pop()
                if self._opened < self.size:
                    self._opened += 1
                    break
                self._cond.wait()
        try:
            return self._open()
        except BaseException:
            with self._cond:
                self._opened -= 1
                self._cond.notify()
            raise

    def _give_back(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:  # a failed COMMIT or ROLLBACK: never lend a half-open one
            _rollback(conn)
        with self._cond:
            if not self._closed and not conn.in_transaction:
                self._idle.append(conn)
                self._cond.notify()
                return
            self._opened -= 1
            self._cond.notify()
        _close(conn)

    def _open(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"Hearth cannot open its database {self.path}: {exc}.") from exc
        try:
            conn.row_factory = sqlite3.Row
            _use_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            _close(conn)
            raise store_error(exc, self.path) from exc
        return conn


class DiskFull(StoreError):
    code = "disk_full"


class StoreBusy(StoreError):
    code = "store_busy"


class StoreReadOnly(StoreError):
    code = "store_read_only"


def store_error(exc: sqlite3.Error, path: Path) -> StoreError:
    """The sentence a user can act on for what SQLite said."""
    text = str(exc).lower()
    folder = path.parent
    if "full" in text:
        return DiskFull(
            f"The disk that holds Hearth's data ({folder}) is full. Free some space and try "
            "again; everything saved before is kept."
        )
    if "locked" in text or "busy" in text:
        return StoreBusy(
            f"Another program is holding Hearth's database ({path}) locked; Hearth waited "
            f"{BUSY_TIMEOUT_S:.0f} s. Close that program (or wait) and try again."
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return StoreReadOnly(
            f"Hearth cannot write to its data folder ({folder}): it is read-only or its "
            "permissions changed. Make it writable again; everything saved before is kept."
        )
    if "disk i/o" in text:
        return StoreReadOnly(
            f"The disk that holds Hearth's data ({folder}) failed a write ({exc}). Check the "
            "disk and that the folder is writable; everything saved before is kept."
        )
    return StoreError(f"Hearth's database {path} failed: {exc}.")


@contextmanager
def translated(path: Path) -> Iterator[None]:
    """SQLite's operational errors (full, locked, read-only) as StoreErrors with a sentence."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        raise store_error(exc, path) from exc


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass


def _close(conn: sqlite3.Connection) -> None:
    try:
        conn.close()
    except sqlite3.Error:
        pass
