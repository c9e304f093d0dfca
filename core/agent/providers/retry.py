"""Ask again after a transient failure, but never once any output has streamed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from core.cancel import CancelToken

from .base import ProviderConfig, ProviderError

T = TypeVar("T")


def stream_with_retries(
    attempt: Callable[[], Iterator[T]],
    config: ProviderConfig,
    cancel: CancelToken | None,
    on_cancel: Callable[[], ProviderError],
) -> Iterator[T]:
    """Yield from ``attempt()``; start it again on a retryable error before its first item.

    Once an item has been yielded, an error is raised as is: the caller has
    shown part of an answer, and sending the request again would duplicate it.
    """
    retries = 0
    waited = 0.0
    while True:
        if cancel is not None and cancel.is_set():
            raise on_cancel()
        yielded = False
        items = attempt()
        try:
            for item in items:
                yielded = True
                yield item
            return
        except ProviderError as err:
            delay = _next_delay(err, retries, waited, config, yielded)
            if delay is None:
                raise
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
        if cancel is not None:
            if cancel.wait(delay):
                raise on_cancel()
        elif delay > 0:
            time.sleep(delay)
        waited += delay
        retries += 1


def call_with_retries(
    attempt: Callable[[], T], config: ProviderConfig, cancel: CancelToken | None = None
) -> T:
    """The non-streaming form: return ``attempt()``, retrying transient errors."""

    def once() -> Iterator[T]:
        yield attempt()

    def cancelled() -> ProviderError:
        return ProviderError("cancelled", "The request was cancelled.")

    return next(stream_with_retries(once, config, cancel, cancelled))


def _next_delay(
    err: ProviderError, retries: int, waited: float, config: ProviderConfig, yielded: bool
) -> float | None:
    """Seconds to wait before the next try, or None to give up."""
    if yielded or not err.retryable or retries >= config.max_retries:
        return None
    schedule = config.backoff or (0.0,)
    delay = schedule[min(retries, len(schedule) - 1)]
    if err.retry_after is not None:
        delay = max(delay, err.retry_after)
    if waited + delay > config.max_retry_wait:
        return None
    return delay
