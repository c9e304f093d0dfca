"""The runs a server holds: start one turn per session in a worker thread, stream its events,
cancel it, and end every live one cleanly when the server stops."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from core import memory
from core.cancel import CancelToken
from core.errors import Conflict, InvalidInput, StoreError
from core.runs.checkpointer import DEFAULT_INTERVAL_S, CheckpointLoop, checkpoint
from core.runs.durable import run_durably
from core.runs.events import EventLog
from core.runs.live_run import LiveRun
from core.store import Store

log = logging.getLogger(__name__)

RETENTION_S = 600.0  # how long the event log of an ended run stays readable
INTERRUPTED_ERROR = "Hearth stopped before this answer was finished."

Agent = Callable[..., str]


class _Run:
    """One run this process started: its event log, its live state and its cancel token."""

    def __init__(
        self, run: dict[str, Any], model: str | None, covers_id: str | None = None
    ) -> None:
        self.id: str = run["id"]
        self.covers_id = covers_id  # a compaction: the last message its summary covers
        self.session_id: str = run["session_id"]
        self.model = model
        self.log = EventLog()
        self.live: LiveRun | None = LiveRun(self.id, self.session_id)
        self.cancel = CancelToken()
        self.stopping = False  # the server is shutting down: end as "interrupted"
        self.thread: threading.Thread | None = None


class RunManager:
    """Starts, cancels and keeps track of the runs of one server process.

    ``agent(live, *, session, history, model, emit, cancel)`` does the turn and
    returns "completed" or "cancelled" (or raises). The store is the truth about
    a run's status; the manager adds the event logs, kept ``retention`` seconds
    after a run has ended. Each run is one worker thread; one checkpoint loop saves
    them all.
    """

    def __init__(
        self,
        store: Store,
        agent: Agent,
        checkpoint_interval: float = DEFAULT_INTERVAL_S,
        retention: float = RETENTION_S,
    ) -> None:
        self.store = store
        self.agent = agent
        self.retention = retention
        self.checkpoints = CheckpointLoop(store, checkpoint_interval)
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()  # guards _runs
        self._starting = threading.Lock()  # a start and the shutdown never interleave
        self._closing = False
        # Called as hook(session_id, run_id, status) after a run's terminal event, on its
        # thread: a hook that has work to do starts its own thread (see core.agent.titles).
        self.after_run: list[Callable[[str, str, str], None]] = []

    # --- starting and stopping ------------------------------------------------

    def start(
        self,
        session_id: str,
        content: Any = None,
        model: Any = None,
        *,
        edit: Any = None,
        regenerate: Any = None,
        continue_id: Any = None,
        attachments: Any = None,
    ) -> dict[str, Any]:
        """Store what the run answers and a live run, then answer in a worker thread.

        ``content`` alone starts a new turn; ``edit`` (with ``content``), ``regenerate`` or
        ``continue_id`` make a new version or extend a cut-off answer (see
        ``Store.begin_run``, which checks them all before it writes anything). A continued
        run's live text starts as the kept text, so its checkpoints and a recovery hold the
        whole answer."""
        self._prune()
        # An earlier answer of this session that the store could not take yet goes first.
        self.checkpoints.retry(session_id)
        with self._starting:
            if self._closing:
                raise Conflict("Hearth is shutting down; try again once it has restarted.")
            began = self.store.begin_run(
                session_id,
                content,
                model,
                edit=edit,
                regenerate=regenerate,
                continue_id=continue_id,
                attachments=attachments,
            )
            run = _Run(began["run"], model)
            if began["continues"] is not None and run.live is not None:
                # Trailing whitespace is the turn's to put back (a provider may refuse it).
                run.live.add_text(began["continues"]["content"].rstrip())
            self._launch(run)
        return began["run"]

    def compact(self, session_id: str) -> dict[str, Any]:
        """ "Compact now": a run whose text becomes a summary of all but the last turn."""
        self._prune()
        session = self.store.get_session(session_id)
        point = getattr(self.agent, "compaction_point", None)
        covers = point(session, session["messages"]) if point is not None else None
        if covers is None:
            raise InvalidInput("There is nothing to compact yet: the conversation is one turn.")
        with self._starting:
            if self._closing:
                raise Conflict("Hearth is shutting down; try again once it has restarted.")
            record = self.store.begin_compaction(session_id, covers)
            self._launch(_Run(record, None, covers))
        return record

    def _launch(self, run: _Run) -> None:
        with self._lock:
            self._runs[run.id] = run
        run.thread = threading.Thread(target=self._work, args=(run,), name=f"run-{run.id}")
        run.thread.daemon = True
        run.thread.start()

    def cancel(self, run_id: str) -> dict[str, Any]:
        """Ask a live run to stop; it ends "cancelled" within a second. Idempotent."""
        record = self.store.get_run(run_id)  # NotFound for unknown ids
        run = self._get(run_id)
        if run is not None and not run.log.ended:
            run.cancel.cancel()
        return record

    def shutdown(self, timeout: float = 2.0) -> None:
        """Stop every live run as "interrupted", its text saved; wait up to ``timeout`` s."""
        with self._starting, self._lock:
            self._closing = True
            live = [r for r in self._runs.values() if not r.log.ended]
        for run in live:
            run.stopping = True
            run.cancel.cancel()
        deadline = time.monotonic() + timeout
        for run in live:
            if run.thread is not None:
                run.thread.join(max(0.0, deadline - time.monotonic()))
            if run.thread is not None and run.thread.is_alive() and run.live is not None:
                # It did not stop in time: save its text; the next start recovers it.
                try:
                    checkpoint(self.store, run.live, wait=max(0.1, deadline - time.monotonic()))
                except Exception:
                    log.exception("run %s: final checkpoint at shutdown failed", run.id)
        self.checkpoints.stop()

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
        terminal: tuple[str, dict[str, Any]] | None = None
        try:
            run.log.append("run.started", {"run_id": run.id, "session_id": run.session_id})
            assert run.live is not None
            work = lambda live: self._answer(run, live)  # noqa: E731
            run_durably(self.store, run.live, work, checkpoints=self.checkpoints)
        except StoreError as exc:  # the final save waits for the store; tell the user why
            log.error("run %s: the final save is waiting: %s", run.id, exc.message)
            terminal = ("run.failed", {"error": exc.message, "code": exc.code})
        except BaseException:
            log.exception("run %s could not be finished", run.id)
            terminal = ("run.failed", {"error": "Hearth could not save this answer."})
        finally:
            if terminal is None:
                try:
                    terminal = terminal_event(self.store.get_run(run.id))
                except Exception:
                    log.exception("run %s: cannot read its end", run.id)
                    terminal = ("run.failed", {"error": "Hearth could not read this answer."})
            run.live = None  # the event log is all an ended run keeps here
            run.log.append(*terminal)
            self._after_run(run, terminal[0].removeprefix("run."))
            memory.give_back()

    def _after_run(self, run: _Run, status: str) -> None:
        for hook in list(self.after_run):
            try:
                hook(run.session_id, run.id, status)
            except Exception:
                log.exception("run %s: an after-run hook failed", run.id)

    def _answer(self, run: _Run, live: LiveRun) -> str:
        try:
            session = self.store.get_session(run.session_id)
            history = session.pop("messages")
            if run.covers_id is not None:
                status = self.agent.compact(
                    live,
                    session=session,
                    history=history,
                    covers_id=run.covers_id,
                    emit=run.log.emit,
                    cancel=run.cancel,
                )
            else:
                status = self.agent(
                    live,
                    session=session,
                    history=history,
                    model=run.model,
                    emit=run.log.emit,
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
