"""Running one turn so that a crash, an error or a cancel never loses what it produced."""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.runs.checkpointer import DEFAULT_INTERVAL_S, CheckpointLoop, OnCheckpoint
from core.runs.live_run import LiveRun
from core.store import Store

log = logging.getLogger(__name__)


def describe_error(exc: BaseException) -> str:
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message:
        return message
    return f"Unexpected error: {type(exc).__name__}: {exc}"


def run_durably(
    store: Store,
    live: LiveRun,
    work: Callable[[LiveRun], str],
    interval: float = DEFAULT_INTERVAL_S,
    on_checkpoint: OnCheckpoint | None = None,
    checkpoints: CheckpointLoop | None = None,
) -> list[dict]:
    """Run ``work(live)`` with ``live`` checkpointed beside it, then finish the run.

    ``work`` returns the run's end status ("completed", "cancelled" or "interrupted"); if
    it raises, the run ends "failed" with the error's sentence. If the process is being torn
    down (KeyboardInterrupt, SystemExit), the run is kept as "interrupted" and the exception
    goes on. ``checkpoints`` is the server's loop; without one, a loop of this run's own
    (every ``interval`` s) does it. ``on_checkpoint`` hears of each saved ``Pending`` once it
    is on disk. Returns the messages the run stored; raises StoreError if the final save
    cannot be written now (a given loop keeps trying).
    """
    own = checkpoints is None
    loop = checkpoints if checkpoints is not None else CheckpointLoop(store, interval)
    status, error = "failed", None
    try:
        loop.watch(live, on_checkpoint)
        status = work(live)
    except Exception as exc:
        log.exception("run %s failed", live.run_id)
        error = describe_error(exc)
    except BaseException:
        status = "interrupted"
        raise
    finally:
        try:
            stored = loop.finish(live, status, error)
        finally:
            if own:
                loop.stop()
    return stored
