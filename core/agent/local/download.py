"""Downloading GGUF models into the models folder, one background thread per download.

A download is asked for by Hugging Face repo and file (``{hub}/{repo}/resolve/main/{file}``)
or by an http(s) URL. Before any byte is fetched, the hub's answer to the resolve URL gives
the file's size (``X-Linked-Size``) and its SHA-256 (``X-Linked-Etag``, the LFS object id), the
way huggingface_hub's ``get_hf_file_metadata`` reads them, and the free disk space is checked
against the size. Bytes go to ``<file>.part`` beside a ``<file>.part.json`` that says where
they come from; a cut connection is resumed with a ``Range`` request (a few times, then the
download waits for Resume), and so is a download that Hearth's restart interrupted: it is
listed as paused. The finished file is checked against the published SHA-256 and only then
moved to ``<file>``; a file that does not match is deleted and the download fails with a
sentence that says so.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from core.cancel import CancelToken
from core.clock import now
from core.errors import Conflict, HearthError, InvalidInput, NotFound
from core.ids import check_id, new_id
from core.settings.files import read_json, write_private_json
from core.urls import http_url

from .catalog import safe_model_name

log = logging.getLogger(__name__)

HUB = "https://huggingface.co"
HUB_ENV = "HEARTH_HF_ENDPOINT"  # another hub (a mirror, or a test's)
MAX_MODEL_BYTES = 64 * 1024**3
DISK_MARGIN = 8 * 1024 * 1024  # left free after the model, for the database and logs
CHUNK = 1024 * 1024
RETRIES = 4  # a cut connection is resumed this many times before the download waits
MAX_REDIRECTS = 10
TIMEOUT = 30.0
_REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}")
_REPO_FILE = re.compile(r"(?:[A-Za-z0-9._+-]+/){0,4}[A-Za-z0-9][A-Za-z0-9._+-]{0,199}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
LIVE = ("checking", "downloading", "verifying")

# Good small chat models, with their files on the hub as of 2025 (sizes from the hub).
SUGGESTIONS: tuple[dict[str, Any], ...] = (
    {
        "name": "Qwen2.5 0.5B Instruct",
        "repo": "bartowski/Qwen2.5-0.5B-Instruct-GGUF",
        "file": "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf",
        "size": 397_808_192,
        "note": "The smallest here: quick on any computer, simple answers.",
    },
    {
        "name": "Llama 3.2 1B Instruct",
        "repo": "bartowski/Llama-3.2-1B-Instruct-GGUF",
        "file": "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
        "size": 807_694_464,
        "note": "Meta's small model; good at following instructions.",
    },
    {
        "name": "SmolLM2 1.7B Instruct",
        "repo": "bartowski/SmolLM2-1.7B-Instruct-GGUF",
        "file": "SmolLM2-1.7B-Instruct-Q4_K_M.gguf",
        "size": 1_055_609_824,
        "note": "Hugging Face's small model, Apache-2.0.",
    },
    {
        "name": "Phi-3.5 mini Instruct",
        "repo": "bartowski/Phi-3.5-mini-instruct-GGUF",
        "file": "Phi-3.5-mini-instruct-Q4_K_M.gguf",
        "size": 2_393_232_672,
        "note": "Microsoft's 3.8B model: better reasoning, needs about 4 GB of memory.",
    },
)


class DownloadFailed(HearthError):
    code = "download_failed"

    def __init__(self, message: str, code: str = "download_failed", keep_part: bool = True):
        super().__init__(message)
        self.code = code
        self.keep_part = keep_part


def hub_url(repo: str, file: str, endpoint: str | None = None) -> str:
    base = (endpoint or os.environ.get(HUB_ENV) or HUB).rstrip("/")
    return f"{base}/{quote(repo)}/resolve/main/{quote(file)}"


def size_text(n: int | None) -> str:
    if n is None:
        return "an unknown size"
    for unit, step in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= step:
            return f"{n / step:.1f} {unit}"
    return f"{n} bytes"


@dataclass
class Download:
    id: str
    file: str
    url: str
    repo: str | None = None
    repo_file: str | None = None
    sha256: str | None = None
    total: int | None = None
    done: int = 0
    status: str = "checking"
    error: dict[str, str] | None = None
    started_at: str = field(default_factory=now)
    speed: float = 0.0
    cancel: CancelToken = field(default_factory=CancelToken)
    thread: threading.Thread | None = None
    by_user: bool = False  # cancelled by the user (its files go), not by Hearth stopping

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file": self.file,
            "url": self.url,
            "repo": self.repo,
            "repo_file": self.repo_file,
            "sha256": self.sha256,
            "total": self.total,
            "done": self.done,
            "status": self.status,
            "error": self.error,
            "speed": round(self.speed),
            "started_at": self.started_at,
        }

    def record(self) -> dict[str, Any]:
        keys = ("id", "file", "url", "repo", "repo_file", "sha256", "total", "started_at")
        return {k: getattr(self, k) for k in keys}


class Downloads:
    """The downloads into one models folder. Downloads left by an earlier run are listed as
    paused (their ``.part`` is kept) until resumed."""

    def __init__(
        self,
        folder: Path,
        *,
        endpoint: str | None = None,
        max_bytes: int = MAX_MODEL_BYTES,
        on_finished: Any = None,
    ) -> None:
        self.folder = folder
        self.endpoint = endpoint
        self.max_bytes = max_bytes
        self.on_finished = on_finished
        self._jobs: dict[str, Download] = {}
        self._lock = threading.Lock()
        self._restore()

    # --- what the routes call ----------------------------------------------------

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [job.public() for job in self._jobs.values()]

    def get(self, download_id: str) -> dict[str, Any]:
        return self._job(download_id).public()

    def start(self, repo: Any = None, file: Any = None, url: Any = None) -> dict[str, Any]:
        """Start downloading ``repo``'s ``file`` or ``url``; a paused download of the same file
        resumes from its ``.part``."""
        if url is not None and (repo is not None or file is not None):
            raise InvalidInput("Give either a Hugging Face repo and file, or a URL, not both.")
        if url is not None:
            source_url, name, repo_file = _check_url(url), _file_of_url(url), None
        else:
            repo, repo_file = _check_repo(repo), _check_repo_file(file)
            source_url, name = hub_url(repo, repo_file, self.endpoint), repo_file.rsplit("/", 1)[-1]
        name = safe_model_name(name)
        if (self.folder / name).exists():
            raise Conflict(f"{name} is in the models folder already.")
        with self._lock:
            for job in self._jobs.values():
                if job.file == name:
                    if job.status in LIVE:
                        raise Conflict(f"{name} is being downloaded already.")
                    if job.url == source_url and self._part(job).exists():
                        return self._launch(job)
                    del self._jobs[job.id]
                    break
            job = Download(new_id()[:16], name, source_url, repo, repo_file)
            self._jobs[job.id] = job
            self._clear_files(job)
            return self._launch(job)

    def resume(self, download_id: str) -> dict[str, Any]:
        with self._lock:
            job = self._jobs_get(download_id)
            if job.status in LIVE:
                return job.public()
            if job.status == "done":
                raise Conflict(f"{job.file} is downloaded already.")
            return self._launch(job)

    def cancel(self, download_id: str) -> dict[str, Any]:
        """Stop the download and delete what it fetched. Returns at once: the download's
        thread stops at its next step and deletes whatever it wrote meanwhile."""
        with self._lock:
            job = self._jobs_get(download_id)
            if job.status == "done":
                return job.public()
            job.by_user = True
            job.cancel.cancel()
            job.status, job.error, job.speed = "cancelled", None, 0.0
            self._clear_files(job)
            return job.public()

    def forget(self, download_id: str) -> None:
        """Take a finished, failed or cancelled download off the list (its ``.part`` too)."""
        with self._lock:
            job = self._jobs_get(download_id)
            if job.status in LIVE:
                raise Conflict("That download is running; cancel it first.")
            del self._jobs[job.id]
            if job.status != "done":
                self._clear_files(job)

    def close(self) -> None:
        """Stop every running download, keeping its ``.part`` for the next start."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel.cancel()
        for job in jobs:
            if job.thread is not None:
                job.thread.join(5)

    # --- the download itself -------------------------------------------------------

    def _launch(self, job: Download) -> dict[str, Any]:
        """Called under the lock."""
        if job.thread is not None and job.thread.is_alive():
            raise Conflict(f"The last download of {job.file} is still stopping; try again.")
        job.cancel, job.by_user = CancelToken(), False
        job.status, job.error, job.speed = "checking", None, 0.0
        job.thread = threading.Thread(
            target=self._run, args=(job, job.cancel), name=f"hearth-download-{job.id}", daemon=True
        )
        job.thread.start()
        return job.public()

    def _run(self, job: Download, token: CancelToken) -> None:
        """One launch of ``job``; ``token`` is this launch's (a later launch has its own)."""
        import httpx2

        try:
            with httpx2.Client(timeout=httpx2.Timeout(TIMEOUT, connect=10.0)) as client:
                location = self._check(client, job)
                self._fetch_with_retries(client, job, location)
            self._verify_and_keep(job)
        except DownloadFailed as exc:
            with self._lock:
                if token.is_set() or job.cancel is not token:
                    return
                job.status, job.error = "failed", {"code": exc.code, "message": exc.message}
                if not exc.keep_part:
                    self._clear_files(job)
        except Exception as exc:  # never leave a download "running" behind a surprise
            if not token.is_set():
                log.exception("download of %s failed", job.file)
            with self._lock:
                if token.is_set() or job.cancel is not token:
                    return
                job.status = "failed"
                job.error = {"code": "download_failed", "message": f"The download failed: {exc}"}
        finally:
            with self._lock:
                if job.by_user and job.cancel is token and self._owns_files(job):
                    self._clear_files(job)  # what was written after the user's cancel

    def _owns_files(self, job: Download) -> bool:
        """Whether ``job`` is the only download of its file name on the list."""
        return all(other is job or other.file != job.file for other in self._jobs.values())

    def _step(self, job: Download, status: str | None = None) -> None:
        """Between two steps: stop if cancelled, else say what the download does now.
        Called under the lock, so that a cancel cannot slip between the check and a write."""
        if job.cancel.is_set():
            raise DownloadFailed("The download was cancelled.", "cancelled")
        if status is not None:
            job.status = status

    def _check(self, client: Any, job: Download) -> str:
        """Ask where the file is, its size and checksum; check size and disk. The URL to GET."""
        location, meta = _resolve(client, job.url)
        with self._lock:
            self._step(job)
        job.sha256 = meta.get("sha256") or job.sha256
        size = meta.get("size")
        if size is not None:
            job.total = size
        if job.total is not None and job.total > self.max_bytes:
            raise DownloadFailed(
                f"{job.file} is {size_text(job.total)}, more than the {size_text(self.max_bytes)}"
                " Hearth downloads.",
                "too_large",
                keep_part=False,
            )
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        have = self._part_size(job)
        if job.total is not None:
            if have > job.total:
                self._clear_files(job)
                have = 0
            needed = job.total - have
            free = shutil.disk_usage(self.folder).free
            if needed + DISK_MARGIN > free:
                raise DownloadFailed(
                    f"There is not enough disk space for {job.file}: it needs"
                    f" {size_text(needed)} more, and only {size_text(free)} is free on the disk"
                    f" that holds {self.folder}. Free some space, or pick a smaller model.",
                    "disk_full",
                    keep_part=have > 0,
                )
        with self._lock:
            self._step(job)
            write_private_json(self._sidecar(job), job.record())
        return location

    def _fetch_with_retries(self, client: Any, job: Download, location: str) -> None:
        import httpx2

        cut = 0
        while True:
            try:
                self._fetch(client, job, location)
                return
            except _Restart:
                continue
            except DownloadFailed:
                raise
            except Exception as exc:
                if not isinstance(exc, (httpx2.TransportError, httpx2.StreamError)):
                    if job.cancel.is_set():  # the stream was closed under the reader
                        raise DownloadFailed("The download was cancelled.", "cancelled") from None
                    raise
                if job.cancel.is_set():
                    raise DownloadFailed("The download was cancelled.", "cancelled") from None
                cut += 1
                log.info("download of %s cut (%s); resuming, try %d", job.file, exc, cut)
                if cut > RETRIES:
                    raise DownloadFailed(
                        f"The connection was lost {cut} times while downloading {job.file}"
                        f" ({size_text(job.done)} of {size_text(job.total)} are kept). Press"
                        " Resume to go on from there.",
                        "connection_lost",
                    ) from None
                if job.cancel.wait(min(0.25 * 2**cut, 5.0)):
                    raise DownloadFailed("The download was cancelled.", "cancelled") from None
                location = _resolve(client, job.url)[0]  # a CDN link may have expired

    def _fetch(self, client: Any, job: Download, location: str) -> None:
        part = self._part(job)
        have = self._part_size(job)
        if job.total is not None and have == job.total:
            job.done = have
            return
        headers = {"Accept-Encoding": "identity"}
        if have:
            headers["Range"] = f"bytes={have}-"
        with client.stream("GET", location, headers=headers, follow_redirects=True) as answer:
            unsubscribe = job.cancel.on_cancel(answer.close)
            try:
                if answer.status_code == 416 and have:
                    self._clear_files(job, sidecar=False)
                    raise _Restart()
                if answer.status_code not in (200, 206):
                    raise DownloadFailed(_status_sentence(answer.status_code, job), "http_error")
                if answer.status_code == 200 or not _range_starts_at(answer, have):
                    have = 0  # the server sent the whole file
                with self._lock:
                    self._step(job, "downloading")
                self._write(job, answer, part, have)
            finally:
                unsubscribe()

    def _write(self, job: Download, answer: Any, part: Path, have: int) -> None:
        job.done = have
        started, counted = time.monotonic(), 0
        try:
            with self._lock:
                self._step(job)
                out = open(part, "r+b" if have and part.exists() else "wb")  # noqa: SIM115
            with out:
                out.seek(have)
                out.truncate()
                for chunk in answer.iter_bytes():  # as they come: a cut keeps them all
                    if job.cancel.is_set():
                        raise DownloadFailed("The download was cancelled.", "cancelled")
                    out.write(chunk)
                    job.done += len(chunk)
                    counted += len(chunk)
                    elapsed = time.monotonic() - started
                    if elapsed > 0.5:
                        job.speed = counted / elapsed
                    limit = job.total if job.total is not None else self.max_bytes
                    if job.done > limit:
                        raise DownloadFailed(
                            f"{job.file} is larger than the server said"
                            f" ({size_text(limit)}); the download was stopped and deleted.",
                            "too_large",
                            keep_part=False,
                        )
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise DownloadFailed(
                    f"The disk filled up while downloading {job.file}"
                    f" ({size_text(job.done)} of {size_text(job.total)} are kept in"
                    f" {part.name}). Free some space and press Resume.",
                    "disk_full",
                ) from None
            raise DownloadFailed(
                f"Hearth could not write {part}: {exc.strerror or exc}.", "write_failed"
            ) from None
        if job.total is None:
            job.total = job.done
        elif job.done < job.total:
            import httpx2

            raise httpx2.RemoteProtocolError("the server ended the file early")

    def _verify_and_keep(self, job: Download) -> None:
        with self._lock:
            self._step(job, "verifying")
        part, target = self._part(job), self.folder / job.file
        if job.sha256:
            digest = hashlib.sha256()
            with open(part, "rb") as f:
                while block := f.read(CHUNK):
                    if job.cancel.is_set():
                        raise DownloadFailed("The download was cancelled.", "cancelled")
                    digest.update(block)
            if digest.hexdigest() != job.sha256:
                raise DownloadFailed(
                    f"{job.file} does not match the SHA-256 checksum the hub published for it"
                    f" (expected {job.sha256[:12]}…, got {digest.hexdigest()[:12]}…), so it was"
                    " deleted. The download may have been damaged on the way; try again.",
                    "checksum_mismatch",
                    keep_part=False,
                )
        with self._lock:
            self._step(job)
            if target.exists():
                raise DownloadFailed(
                    f"{job.file} appeared in the models folder meanwhile.", "exists"
                )
            os.replace(part, target)
            self._sidecar(job).unlink(missing_ok=True)
            job.status, job.done, job.speed = "done", target.stat().st_size, 0.0
        if self.on_finished is not None:
            self.on_finished(job.public())

    # --- files -----------------------------------------------------------------------

    def _part(self, job: Download) -> Path:
        return self.folder / f"{job.file}.part"

    def _sidecar(self, job: Download) -> Path:
        return self.folder / f"{job.file}.part.json"

    def _part_size(self, job: Download) -> int:
        try:
            return self._part(job).stat().st_size
        except OSError:
            return 0

    def _clear_files(self, job: Download, sidecar: bool = True) -> None:
        self._part(job).unlink(missing_ok=True)
        if sidecar:
            self._sidecar(job).unlink(missing_ok=True)
        job.done = 0

    def _restore(self) -> None:
        """Downloads an earlier run left: paused, at their ``.part``'s size."""
        try:
            sidecars = sorted(self.folder.glob("*.gguf.part.json"))
        except OSError:
            return
        for sidecar in sidecars:
            try:
                raw = read_json(sidecar)
                job = Download(
                    check_id(raw["id"]),
                    safe_model_name(raw["file"]),
                    _check_url(raw["url"]),
                    raw.get("repo"),
                    raw.get("repo_file"),
                    raw.get("sha256") if _SHA256.fullmatch(str(raw.get("sha256"))) else None,
                    raw.get("total") if isinstance(raw.get("total"), int) else None,
                    started_at=str(raw.get("started_at") or now()),
                )
            except (OSError, ValueError, KeyError, TypeError, HearthError):
                log.warning("%s is not a download Hearth can resume; left as it is", sidecar)
                continue
            if sidecar.name != f"{job.file}.part.json":
                continue
            job.done = self._part_size(job)
            job.status = "paused"
            job.error = {
                "code": "interrupted",
                "message": "Hearth stopped during this download; press Resume to go on.",
            }
            self._jobs[job.id] = job

    def _job(self, download_id: str) -> Download:
        with self._lock:
            return self._jobs_get(download_id)

    def _jobs_get(self, download_id: str) -> Download:
        job = self._jobs.get(download_id) if isinstance(download_id, str) else None
        if job is None:
            raise NotFound(f"No download has the id {str(download_id)[:40]!r}.")
        return job


class _Restart(Exception):
    pass


def _resolve(client: Any, url: str) -> tuple[str, dict[str, Any]]:
    """Follow the redirects of ``url`` with HEAD requests: the URL to GET, and the size and
    SHA-256 the hub published (from the first answer that carries ``X-Linked-*``)."""
    import httpx2

    meta: dict[str, Any] = {}
    hub = "/resolve/" in urlsplit(url).path
    for _ in range(MAX_REDIRECTS):
        try:
            answer = client.head(url, headers={"Accept-Encoding": "identity"})
        except httpx2.TransportError as exc:
            host = urlsplit(url).netloc
            raise DownloadFailed(
                f"Hearth could not reach {host}: {exc}. Check the connection and try again.",
                "unreachable",
            ) from None
        linked_etag = answer.headers.get("X-Linked-Etag")
        if "sha256" not in meta and (linked_etag or (hub and answer.headers.get("ETag"))):
            etag = (linked_etag or answer.headers["ETag"]).removeprefix("W/").strip('"')
            if _SHA256.fullmatch(etag):
                meta["sha256"] = etag
        if "size" not in meta and answer.headers.get("X-Linked-Size", "").isdigit():
            meta["size"] = int(answer.headers["X-Linked-Size"])
        if answer.status_code in (301, 302, 303, 307, 308) and answer.headers.get("Location"):
            url = urljoin(url, answer.headers["Location"])
            _check_url(url)
            continue
        if answer.status_code == 405:  # no HEAD here: the GET will tell
            return url, meta
        if answer.status_code != 200:
            raise DownloadFailed(_status_sentence(answer.status_code, None, url), "http_error")
        length = answer.headers.get("Content-Length", "")
        if "size" not in meta and length.isdigit():
            meta["size"] = int(length)
        return url, meta
    raise DownloadFailed("The server sent too many redirects.", "http_error")


def _range_starts_at(answer: Any, offset: int) -> bool:
    match = re.match(r"bytes (\d+)-", answer.headers.get("Content-Range", ""))
    return bool(match) and int(match.group(1)) == offset


def _status_sentence(status: int, job: Download | None, url: str = "") -> str:
    what = job.file if job else (urlsplit(url).path.rsplit("/", 1)[-1] or url)
    if status in (401, 403):
        return (
            f"The server refused {what} ({status}): the repository may be gated or private."
            " Pick a public model, or download it in a browser and add the file by its path."
        )
    if status == 404:
        return f"There is no {what} there (404). Check the repository and the file name."
    return f"The server answered {status} for {what}."


def _check_url(value: Any) -> str:
    http_url(value, "The model's URL", "https://huggingface.co/…/resolve/main/model.gguf", 4000)
    return value


def _file_of_url(url: str) -> str:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    if not name.lower().endswith(".gguf"):
        raise InvalidInput("The URL must name a .gguf file (Hearth runs GGUF models).")
    return name


def _check_repo(repo: Any) -> str:
    if not isinstance(repo, str) or not _REPO.fullmatch(repo.strip()) or ".." in repo:
        raise InvalidInput(
            "A Hugging Face repository is written owner/name, like"
            " bartowski/Llama-3.2-1B-Instruct-GGUF."
        )
    return repo.strip()


def _check_repo_file(file: Any) -> str:
    if not isinstance(file, str) or not _REPO_FILE.fullmatch(file.strip()) or ".." in file:
        raise InvalidInput("Give the file's name in the repository, like model-Q4_K_M.gguf.")
    file = file.strip()
    if not file.lower().endswith(".gguf"):
        raise InvalidInput(f"{file} is not a .gguf file; Hearth runs GGUF models only.")
    return file
