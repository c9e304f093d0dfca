"""Running one turn so that a crash, an error or a cancel never loses what it produced."""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.runs.checkpointer import DEFAULT_INTERVAL_S, Checkpointer
from core.runs.live_run import LiveRun, Pending
from core.store import Store

log = logging.getLogger(__name__)


def describe_error(exc: BaseException) -> str:
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message:
        return message
    return f"Unexpected error: {type(exc).__name__}: {exc}"


def checkpoint(store: Store, live: LiveRun) -> Pending:
    """Write what ``live`` produced since its last checkpoint; return what was written."""
    pending = live.pending()
    store.checkpoint(live.run_id, pending.text, pending.reasoning, pending.steps)
    live.mark_saved(pending)
    return pending


def run_durably(
    store: Store,
    live: LiveRun,
    work: Callable[[LiveRun], str],
    interval: float = DEFAULT_INTERVAL_S,
    on_checkpoint: Callable[[Pending], None] | None = None,
) -> list[dict]:
    """Run ``work(live)`` with a checkpoint thread beside it, then finish the run.

    ``work`` returns the run's end status ("completed" or "cancelled"); if it raises,
    the run ends "failed" with the error's sentence. If the process is being torn
    down (KeyboardInterrupt, SystemExit), the run is kept as "interrupted" and the
    exception goes on. ``on_checkpoint`` hears of each saved ``Pending`` once it is on
    disk. Returns the messages the run stored.
    """

    def save() -> None:
        pending = checkpoint(store, live)
        if on_checkpoint is not None:
            on_checkpoint(pending)

    checkpointer = Checkpointer(save, lambda: live.activity, interval, f"checkpoint-{live.run_id}")
    status, error = "failed", None
    try:
        checkpointer.start()
        status = work(live)
    except Exception as exc:
        log.exception("run %s failed", live.run_id)
        error = describe_error(exc)
    except BaseException:
        status = "interrupted"
        raise
    finally:
        checkpointer.stop()
        pending = live.pending()
        stored = store.finish_run(
            live.run_id,
            status,
            pending.text,
            pending.reasoning,
            pending.steps,
            error=error,
            usage=live.usage,
        )
    return stored
