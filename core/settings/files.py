"""Small private JSON files: written whole (temp file + rename), readable by this user only."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from core.paths import make_private_dir


def write_private_json(path: Path, value: Any) -> None:
    """Replace ``path`` with ``value`` as JSON, atomically, mode 0600.

    mkstemp creates the temporary file 0600 before anything is written to it, so a
    secret is never readable by others, not even for a moment.
    """
    make_private_dir(path.parent)
    data = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass


def read_json(path: Path) -> Any:
    """The JSON in ``path``; FileNotFoundError if missing, ValueError/OSError if unreadable."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
