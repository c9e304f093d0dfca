"""The checkpoint loop: one thread saves every live run of the server, and finishes the ones
whose final save could not be written at once (a full disk, a locked database).

One loop rather than a thread per run: the runs share one database, which takes one writer at a
time anyway, so a thread per run bought nothing but threads; and one owner per run's writes
means its checkpoints and its final save never overlap (each write holds ``LiveRun.saving``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.errors import Conflict, NotFound, StoreError
from core.runs.live_run import LiveRun, Pending
from core.store import Store

log = logging.getLogger(__name__)

# The contract keeps everything streamed until one second before a crash; a tick of 0.8 s
# leaves room for the save itself and a busy machine (the soak measured up to 0.98 s lost
# at a 1.0 s tick).
DEFAULT_INTERVAL_S = 0.8
MAX_ERROR = 4000

OnCheckpoint = Callable[[Pending], None]


def checkpoint(store: Store, live: LiveRun, wait: float | None = None) -> Pending | None:
    """Write what ``live`` produced since its last save; None when there was nothing to write
    (or, with ``wait``, when another write of the run held it longer than that)."""
    if not live.saving.acquire(timeout=-1 if wait is None else wait):
        log.warning("run %s: still being saved; this checkpoint is skipped", live.run_id)
        return None
    try:
        if live.finished or live.activity == live.saved_activity:
            return None
        pending = live.pending()
        store.checkpoint(live.run_id, pending.text, pending.reasoning, pending.steps)
        live.mark_saved(pending)
        return pending
    finally:
        live.saving.release()


def finish(store: Store, live: LiveRun, status: str, error: str | None = None) -> list[dict]:
    """The final save: the run's steps and text become messages; returns them.

    Raises StoreError when the store cannot take it now (the caller tries again later).
    Content the store refuses is not a reason to leave the run live: it ends failed,
    with the text it could keep.
    """
    if error is not None and len(error) > MAX_ERROR:
        error = error[:MAX_ERROR] + "…"
    with live.saving:
        if live.finished:
            return []
        pending = live.pending()
        try:
            stored = store.finish_run(
                live.run_id,
                status,
                pending.text,
                pending.reasoning,
                pending.steps,
                error=error,
                usage=live.usage,
            )
        except StoreError:
            raise
        except (Conflict, NotFound):  # closed already (recovered by another process)
            stored = []
        except Exception as exc:  # the content, not the store: never leave the run live
            reason = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            log.error("run %s: the store refused its answer: %s", live.run_id, reason)
            sentence = f"Hearth could not store this answer as it came ({reason})."[:MAX_ERROR]
            try:
                stored = store.finish_run(
                    live.run_id, "failed", pending.text[: 1024 * 1024], error=sentence
                )
            except StoreError:
                raise
            except Exception:
                log.exception("run %s: ending it failed with its text kept", live.run_id)
                store.abandon_run(live.run_id, pending.text[: 1024 * 1024], sentence)
                stored = []
        live.finished = True
        live.mark_saved(pending)
        return stored


@dataclass
class _Unfinished:
    live: LiveRun
    status: str
    error: str | None


class CheckpointLoop:
    """Saves each watched run at most once an ``interval``, and only after activity.

    The thread starts with the first watched run and sleeps while there is none. A save
    that fails is logged and tried again at the next tick.
    """

    def __init__(self, store: Store, interval: float = DEFAULT_INTERVAL_S) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.store = store
        self.interval = interval
        self.saves = 0
        self.failures = 0
        self._cond = threading.Condition()
        self._watched: dict[str, tuple[LiveRun, OnCheckpoint | None]] = {}
        self._unfinished: dict[str, _Unfinished] = {}
        self._failing: set[str] = set()  # runs whose last save failed: log once per streak
        self._thread: threading.Thread | None = None
        self._stopped = False

    def watch(self, live: LiveRun, on_checkpoint: OnCheckpoint | None = None) -> None:
        with self._cond:
            if self._stopped:
                raise RuntimeError("the checkpoint loop has stopped")
            self._watched[live.run_id] = (live, on_checkpoint)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="checkpoints", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def finish(self, live: LiveRun, status: str, error: str | None = None) -> list[dict]:
        """Stop watching ``live`` and save it for the last time.

        If the store cannot take it now, the run is kept and finished by the loop once it
        can (or by ``retry``); the StoreError goes on to the caller, to tell the user.
        """
        with self._cond:
            self._watched.pop(live.run_id, None)
        try:
            return finish(self.store, live, status, error)
        except StoreError:
            with self._cond:
                self._unfinished[live.run_id] = _Unfinished(live, status, error)
                self._cond.notify_all()
            raise

    def retry(self, session_id: str | None = None) -> None:
        """Try now to finish the runs (of ``session_id``) waiting for the store; raises the
        StoreError of the first that still cannot be saved."""
        with self._cond:
            waiting = [
                u
                for u in self._unfinished.values()
                if session_id is None or u.live.session_id == session_id
            ]
        for item in waiting:
            finish(self.store, item.live, item.status, item.error)
            with self._cond:
                self._unfinished.pop(item.live.run_id, None)
            log.info("run %s: saved after the store came back", item.live.run_id)

    def unfinished(self) -> list[str]:
        with self._cond:
            return list(self._unfinished)

    def stop(self) -> None:
        """Stop the thread; a save in progress completes first."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _loop(self) -> None:
        next_tick = time.monotonic() + self.interval
        while True:
            with self._cond:
                while not self._stopped and not self._watched and not self._unfinished:
                    self._cond.wait()
                    next_tick = time.monotonic() + self.interval
                if self._stopped:
                    return
                delay = next_tick - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                watched = list(self._watched.values())
                has_unfinished = bool(self._unfinished)
            next_tick = max(next_tick + self.interval, time.monotonic())
            for live, on_checkpoint in watched:
                self._save(live, on_checkpoint)
            if has_unfinished:
                try:
                    self.retry()
                except StoreError:
                    pass  # still failing: next tick

    def _save(self, live: LiveRun, on_checkpoint: OnCheckpoint | None) -> None:
        try:
            pending = checkpoint(self.store, live)
        except Exception as exc:
            self.failures += 1
            if live.run_id not in self._failing:
                self._failing.add(live.run_id)
                log.error("run %s: checkpoint failed (%s); retrying each tick", live.run_id, exc)
            return
        self._failing.discard(live.run_id)
        if pending is None:
            return
        self.saves += 1
        if on_checkpoint is not None:
            try:
                on_checkpoint(pending)
            except Exception:
                log.exception("run %s: on_checkpoint failed", live.run_id)
