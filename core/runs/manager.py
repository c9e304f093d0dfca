"""The runs a server holds: start one turn per session in a worker thread, stream its events,
cancel it, and end every live one cleanly when the server stops."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from core.errors import Conflict, InvalidInput
from core.runs.durable import checkpoint, run_durably
from core.runs.events import EventLog
from core.runs.live_run import LiveRun
from core.store import Store

log = logging.getLogger(__name__)

DELTA_EVENTS = frozenset({"text.delta", "reasoning.delta"})
RETENTION_S = 600.0  # how long the event log of an ended run stays readable
COALESCE_S = 1 / 30  # at most ~30 delta events a second per run, none held longer than this
INTERRUPTED_ERROR = "Hearth stopped before this answer was finished."

Agent = Callable[..., str]


class Coalescer:
    """Merges text and reasoning deltas that come faster than ``interval`` into one event.

    Any other event first flushes what is buffered, so the order of events is kept.
    A delta waits at most ``interval`` (a timer thread flushes it).
    """

    def __init__(self, log: EventLog, interval: float = COALESCE_S, name: str = "coalescer"):
        self._log = log
        self._interval = interval
        self._cond = threading.Condition()
        self._type: str | None = None
        self._parts: list[str] = []
        self._last_flush = 0.0
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def emit(self, type: str, data: dict[str, Any]) -> None:
        with self._cond:
            if type in DELTA_EVENTS and isinstance(data.get("text"), str) and len(data) == 1:
                if self._type not in (None, type):
                    self._flush_locked()
                self._type = type
                self._parts.append(data["text"])
                if time.monotonic() - self._last_flush >= self._interval:
                    self._flush_locked()
                else:
                    self._cond.notify_all()
                return
            self._flush_locked()
            self._log.append(type, data)

    def close(self, terminal: tuple[str, dict[str, Any]] | None = None) -> None:
        """Flush, stop the timer, and append the terminal event if given."""
        with self._cond:
            self._flush_locked()
            self._closed = True
            self._cond.notify_all()
            if terminal is not None:
                self._log.append(*terminal)

    def _flush_locked(self) -> None:
        if self._parts:
            self._log.append(self._type or "text.delta", {"text": "".join(self._parts)})
            self._parts = []
            self._type = None
            self._last_flush = time.monotonic()

    def _loop(self) -> None:
        with self._cond:
            while not self._closed:
                if not self._parts:
                    self._cond.wait()
                    continue
                due = self._last_flush + self._interval - time.monotonic()
                if due > 0:
                    self._cond.wait(due)
                    continue
                self._flush_locked()


class _Run:
    """One run this process started: its event log, its live state and its cancel switch."""

    def __init__(self, run: dict[str, Any], model: str | None) -> None:
        self.id: str = run["id"]
        self.session_id: str = run["session_id"]
        self.model = model
        self.log = EventLog()
        self.live = LiveRun(self.id, self.session_id)
        self.cancel = threading.Event()
        self.stopping = False  # the server is shutting down: end as "interrupted"
        self.thread: threading.Thread | None = None
        self.coalescer = Coalescer(self.log, name=f"coalesce-{self.id}")


class RunManager:
    """Starts, cancels and keeps track of the runs of one server process.

    ``agent(live, *, session, history, model, emit, cancel)`` does the turn and
    returns "completed" or "cancelled" (or raises). The store is the truth about
    a run's status; the manager adds the event logs, kept ``retention`` seconds
    after a run has ended.
    """

    def __init__(
        self,
        store: Store,
        agent: Agent,
        approvals: Any = None,
        checkpoint_interval: float = 1.0,
        retention: float = RETENTION_S,
    ) -> None:
        self.store = store
        self.agent = agent
        self.approvals = approvals
        self.checkpoint_interval = checkpoint_interval
        self.retention = retention
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()
        self._closing = False

    # --- starting and stopping ------------------------------------------------

    def start(
        self, session_id: str, content: Any, model: Any = None, replace_from: Any = None
    ) -> dict[str, Any]:
        """Store the user's message and a live run, then answer it in a worker thread.

        The store checks ``model`` and ``replace_from`` before it writes anything."""
        if not isinstance(content, str) or not content.strip():
            raise InvalidInput("content must be a non-empty string.")
        if self._closing:
            raise Conflict("Hearth is shutting down; try again once it has restarted.")
        self._prune()
        began = self.store.begin_run(session_id, content, model, replace_from)
        run = _Run(began["run"], model)
        with self._lock:
            self._runs[run.id] = run
        run.thread = threading.Thread(target=self._work, args=(run,), name=f"run-{run.id}")
        run.thread.daemon = True
        run.thread.start()
        return began["run"]

    def cancel(self, run_id: str) -> dict[str, Any]:
        """Ask a live run to stop; it ends "cancelled" within a second. Idempotent."""
        record = self.store.get_run(run_id)  # NotFound for unknown ids
        run = self._get(run_id)
        if run is not None and not run.log.ended:
            run.cancel.set()
            self._cancel_approvals(run_id)
        return record

    def shutdown(self, timeout: float = 2.0) -> None:
        """Stop every live run as "interrupted", its text saved; wait up to ``timeout`` s."""
        self._closing = True
        with self._lock:
            live = [r for r in self._runs.values() if not r.log.ended]
        for run in live:
            run.stopping = True
            run.cancel.set()
            self._cancel_approvals(run.id)
        deadline = time.monotonic() + timeout
        for run in live:
            if run.thread is not None:
                run.thread.join(max(0.0, deadline - time.monotonic()))
            if run.thread is not None and run.thread.is_alive():
                self._save_straggler(run)

    # --- reading ----------------------------------------------------------------

    def get(self, run_id: str) -> dict[str, Any]:
        return self.store.get_run(run_id)

    def events(self, run_id: str, after: int = 0) -> EventLog:
        """The run's event log; for a run this process no longer holds (ended before a
        restart, or more than ``retention`` s ago), a log of one terminal event."""
        self._prune()
        run = self._get(run_id)
        if run is not None:
            return run.log
        record = self.store.get_run(run_id)
        synthesized = EventLog(first_id=after + 1)
        synthesized.append(*terminal_event(record))
        return synthesized

    def live_runs(self) -> list[str]:
        with self._lock:
            return [r.id for r in self._runs.values() if not r.log.ended]

    # --- the worker ----------------------------------------------------------------

    def _work(self, run: _Run) -> None:
        run.coalescer.emit("run.started", {"run_id": run.id, "session_id": run.session_id})

        def work(live: LiveRun) -> str:
            try:
                session = self.store.get_session(run.session_id)
                history = session.pop("messages")
                status = self.agent(
                    live,
                    session=session,
                    history=history,
                    model=run.model,
                    emit=run.coalescer.emit,
                    cancel=run.cancel,
                )
            except Exception:
                if run.stopping:
                    return "interrupted"
                raise
            if run.stopping:
                return "interrupted"
            if run.cancel.is_set() and status == "completed":
                return "cancelled"
            return status if status in ("completed", "cancelled") else "completed"

        try:
            run_durably(self.store, run.live, work, self.checkpoint_interval)
        except BaseException:
            log.exception("run %s could not be finished", run.id)
        finally:
            try:
                record = self.store.get_run(run.id)
                terminal = terminal_event(record)
            except Exception:
                log.exception("run %s: cannot read its end", run.id)
                terminal = ("run.failed", {"error": "Hearth could not save this answer."})
            run.coalescer.close(terminal)

    # --- helpers ---------------------------------------------------------------

    def _get(self, run_id: str) -> _Run | None:
        with self._lock:
            return self._runs.get(run_id)

    def _prune(self) -> None:
        cutoff = time.monotonic() - self.retention
        with self._lock:
            for run_id in [
                r.id for r in self._runs.values() if r.log.ended_at and r.log.ended_at < cutoff
            ]:
                del self._runs[run_id]

    def _cancel_approvals(self, run_id: str) -> None:
        if self.approvals is None:
            return
        try:
            self.approvals.cancel_run(run_id)
        except Exception:
            log.exception("run %s: cancelling its approvals failed", run_id)

    def _save_straggler(self, run: _Run) -> None:
        """A run that did not stop in time: checkpoint its text; the next start recovers it."""
        try:
            checkpoint(self.store, run.live)
        except Exception:
            log.exception("run %s: final checkpoint at shutdown failed", run.id)


def terminal_event(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The terminal event that reports a stored run's end."""
    status = record.get("status")
    if status == "completed":
        return "run.completed", {}
    if status == "cancelled":
        return "run.cancelled", {}
    if status == "interrupted":
        return "run.failed", {"error": INTERRUPTED_ERROR, "status": "interrupted"}
    if status == "live":  # held by another process
        return "run.failed", {"error": "This run belongs to another Hearth process."}
    return "run.failed", {"error": record.get("error") or "The run failed."}
