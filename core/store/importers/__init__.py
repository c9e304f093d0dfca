"""Importing another app's history: ChatGPT and Claude data exports become Hearth sessions.

``import_export(store, path)`` reads the file twice: first to check all of it (a damaged or
foreign file is refused before anything is written), then to write it in batches (short
write transactions, so a live chat keeps saving meanwhile). If writing fails part way, the
sessions already written are deleted again: a file is imported whole or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.errors import InvalidInput
from core.store.importers.chats import BadExport, ImportedChat, ImportedMessage
from core.store.importers.reader import ExportFile, sniff

__all__ = ["BadExport", "ImportedChat", "ImportedMessage", "import_export", "sniff"]

# phase ("checking" | "saving"), bytes done, bytes in all, conversations done
Progress = Callable[[str, int, int, int], None]


def import_export(store: Any, path: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Import the ChatGPT or Claude export at ``path``: ``{"imported", "skipped",
    "session_ids", "format"}``. Raises InvalidInput (nothing written) for a file it cannot
    read."""
    report = progress or (lambda *_: None)
    counts = {"checking": 0, "saving": 0}

    def reporter(phase: str) -> Callable[[int], None]:
        return lambda done: report(phase, done, size, counts[phase])

    try:
        export = ExportFile(path)
        size = export.size
        counts["checking"] = export.check(reporter("checking"))
        report("checking", size, size, counts["checking"])
    except BadExport as exc:
        raise InvalidInput(str(exc)) from None
    skipped = 0

    def kept():
        nonlocal skipped
        for chat in export.chats(reporter("saving")):
            counts["saving"] += 1
            if chat is None:
                skipped += 1
            else:
                yield chat

    try:
        ids = store.import_chats(kept())
    except BadExport as exc:  # the file changed between the two readings
        raise InvalidInput(str(exc)) from None
    report("saving", size, size, counts["saving"])
    return {
        "imported": len(ids),
        "skipped": skipped,
        "session_ids": ids,
        "format": export.format,
    }
