"""Importing a file: a Hearth session export, or a ChatGPT or Claude data export.

``POST /api/sessions/import`` takes the file as the request body (up to 4 GB on this route
only). The body is streamed to a private file in the cache folder a megabyte at a time,
never held in memory, then read from there. A Hearth export (a JSON object) answers with the
new session; a ChatGPT or Claude export (a zip, or a JSON list) answers
``{"imported", "skipped", "session_ids", "format"}``.

Progress: a client that adds ``?job=ID`` (an id of its own choosing) can poll
``GET /api/imports/ID`` meanwhile: ``{"phase": "receiving" | "checking" | "saving" | "done" |
"failed", "done": BYTES, "total": BYTES | null, "conversations": N}``. One ChatGPT or
Claude import runs at a time (a second one answers 409).
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import bottle

from core.errors import NotFound
from core.ids import check_id
from webui.http import MAX_BODY, MAX_IMPORT_BODY, BadJSON, fail, parse_json, reply
from webui.routes.attachments import import_zip

log = logging.getLogger("hearth.import")

CHUNK = 1 << 20
RESERVE = 64 * 1024 * 1024  # left free on the disk after the upload is written
ACCEPTED_TYPES = {
    "application/json",
    "application/zip",
    "application/x-zip-compressed",  # what Windows browsers call a .zip
    "application/octet-stream",
}
KEPT_JOBS = 32


class Jobs:
    """Progress of recent imports, by the id the client chose (the last few only)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def update(self, job: str | None, **state: Any) -> None:
        if job is None:
            return
        with self._lock:
            current = self._jobs.pop(job, {"done": 0, "total": None, "conversations": 0})
            current.update(state)
            self._jobs[job] = current
            while len(self._jobs) > KEPT_JOBS:
                self._jobs.popitem(last=False)

    def get(self, job: str) -> dict[str, Any] | None:
        with self._lock:
            state = self._jobs.get(job)
            return dict(state) if state is not None else None


class Importer:
    def __init__(self, hearth) -> None:
        self.hearth = hearth
        self.jobs = Jobs()
        self.folder = Path(hearth.paths.cache) / "imports"
        self._one_at_a_time = threading.Lock()
        _remove_leftovers(self.folder)

    def handle(self) -> bottle.HTTPResponse:
        request = bottle.request
        kind = request.content_type.split(";", 1)[0].strip().lower()
        if kind not in ACCEPTED_TYPES:
            raise fail(
                400, "bad_content_type", "Send the file as application/zip or application/json."
            )
        job = request.query.get("job") or None
        if job is not None:
            check_id(job, "import job id")
        try:
            path = self._receive(request.environ, job)
            try:
                answer = self._import(path, job)
            finally:
                path.unlink(missing_ok=True)
        except bottle.HTTPResponse as refusal:
            self.jobs.update(job, phase="failed", error=_message_of(refusal))
            raise
        except Exception as exc:
            self.jobs.update(job, phase="failed", error=getattr(exc, "message", "failed"))
            raise
        return answer

    def _receive(self, environ: dict[str, Any], job: str | None) -> Path:
        """The request body, written to a private temporary file."""
        chunked = bool(environ.get("hearth.chunked"))
        length = bottle.request.content_length
        if not chunked and length <= 0:
            raise fail(400, "bad_request", "Send the export file as the request body.")
        self.folder.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(self.folder).free
        if not chunked and length + RESERVE > free:
            raise fail(
                507,
                "disk_full",
                f"The disk that holds Hearth's data has {free / 1e6:,.0f} MB free; this file"
                f" needs {length / 1e6:,.0f} MB and its import more. Free some space and try"
                " again.",
            )
        self.jobs.update(job, phase="receiving", done=0, total=None if chunked else length)
        handle, name = tempfile.mkstemp(dir=self.folder, prefix="import-", suffix=".part")
        path = Path(name)
        stream = environ["wsgi.input"]
        received = 0
        try:
            with os.fdopen(handle, "wb") as out:
                while chunked or received < length:
                    want = CHUNK if chunked else min(CHUNK, length - received)
                    try:
                        chunk = stream.read(want)
                    except Exception:  # the client went away, a malformed chunk, a timeout
                        raise fail(
                            400, "incomplete_upload", "The upload stopped before the file arrived."
                        ) from None
                    if not chunk:
                        if chunked:
                            break
                        raise fail(
                            400, "incomplete_upload", "The upload stopped before the file arrived."
                        )
                    received += len(chunk)
                    if received > MAX_IMPORT_BODY:
                        raise fail(413, "payload_too_large", "The file is larger than 4 GB.")
                    out.write(chunk)
                    self.jobs.update(job, done=received)
        except OSError as exc:
            path.unlink(missing_ok=True)
            if exc.errno == errno.ENOSPC:
                raise fail(
                    507,
                    "disk_full",
                    "The disk that holds Hearth's data filled up while the file arrived. Free"
                    " some space and try again; nothing was imported.",
                ) from None
            raise
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        if received == 0:
            path.unlink(missing_ok=True)
            raise fail(400, "bad_request", "Send the export file as the request body.")
        return path

    def _import(self, path: Path, job: str | None) -> bottle.HTTPResponse:
        from core.store import importers  # ijson loads on the first import, not at start

        store = self.hearth.store
        with_files = import_zip(self.hearth, path)  # a Hearth export with its attachments
        if with_files is not None:
            self.jobs.update(job, phase="done", imported=1)
            return reply(with_files, 201)
        if importers.sniff(path) == "object":
            return self._hearth_export(path, job)
        if not self._one_at_a_time.acquire(blocking=False):
            raise fail(
                409, "import_running", "Another import is running; try again when it is done."
            )
        try:

            def progress(phase: str, done: int, total: int, conversations: int) -> None:
                self.jobs.update(
                    job, phase=phase, done=done, total=total, conversations=conversations
                )

            result = importers.import_export(store, path, progress)
        finally:
            self._one_at_a_time.release()
        self.jobs.update(job, phase="done", imported=result["imported"])
        log.info("imported %d %s conversations", result["imported"], result["format"])
        return reply(result, 201)

    def _hearth_export(self, path: Path, job: str | None) -> bottle.HTTPResponse:
        if path.stat().st_size > MAX_BODY:
            raise fail(
                413,
                "payload_too_large",
                "A Hearth session export is at most 10 MB; this JSON file is larger.",
            )
        try:
            value = parse_json(path.read_bytes())
        except BadJSON as exc:
            raise fail(400, "malformed_json", str(exc)) from None
        if not isinstance(value, dict):
            raise fail(400, "bad_request", "The body must be a JSON object.")
        session = self.hearth.store.import_json(value)
        self.jobs.update(job, phase="done", imported=1)
        return reply(session, 201)

    def progress(self, job: str) -> bottle.HTTPResponse:
        state = self.jobs.get(check_id(job, "import job id"))
        if state is None:
            raise NotFound("No import has that job id (or it ended long ago).")
        return reply(state)


def install(app: bottle.Bottle, hearth) -> Importer:
    """The progress route; the import route itself is declared with the sessions'."""
    importer = Importer(hearth)

    @app.get("/api/imports/<job>")
    def import_progress(job: str):
        return importer.progress(job)

    return importer


def _remove_leftovers(folder: Path) -> None:
    """Uploads a stopped process left behind (only one Hearth uses a data folder at once)."""
    try:
        for leftover in folder.glob("import-*.part"):
            leftover.unlink(missing_ok=True)
    except OSError:
        pass


def _message_of(response: bottle.HTTPResponse) -> str:
    try:
        return parse_json(response.body)["error"]["message"]
    except (BadJSON, KeyError, TypeError):
        return "The import failed."
