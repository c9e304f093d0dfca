"""The session store: one SQLite database in the data folder, shared by the server's threads."""

from __future__ import annotations

from pathlib import Path

from core.paths import Paths
from core.store.attachments import AttachmentsMixin
from core.store.database import Database
from core.store.grants import GrantsMixin
from core.store.runs import RunsMixin
from core.store.search import SearchMixin
from core.store.sessions import SessionsMixin
from core.store.summaries import SummariesMixin
from core.store.transfer import TransferMixin
from core.store.tree_import import TreeImportMixin


class Store(
    AttachmentsMixin,
    SessionsMixin,
    RunsMixin,
    SearchMixin,
    TransferMixin,
    TreeImportMixin,
    GrantsMixin,
    SummariesMixin,
):
    """Sessions, messages and runs. Opening it recovers runs a dead process left live."""

    def __init__(self, paths: Paths | str | Path) -> None:
        if not isinstance(paths, Paths):
            paths = Paths.resolve(paths)
        paths.create()
        self.paths = paths
        self.db = Database(paths.database, paths.backups)
        self._register_owner()
        self.recovered = self.recover()

    def close(self) -> None:
        self._unregister_owner()
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
