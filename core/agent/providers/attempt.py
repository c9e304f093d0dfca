"""One try at a streamed model call: open it under a CallGuard, translate, map errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from core.cancel import CancelToken

from .base import Event, ProviderError
from .cancel import CallGuard
from .errors import CallInfo, cancelled, incomplete, map_exception


class IncompleteStream(Exception):
    """The stream ended without the message that says the model finished."""


def guarded_attempt(
    open_stream: Callable[[], Any],
    translate: Callable[[Iterable[Any]], Iterator[Event]],
    call: CallInfo,
    cancel: CancelToken | None,
) -> Iterator[Event]:
    """Yield the events of one call; every failure leaves as a ProviderError.

    ``open_stream`` returns an SDK stream (iterable, with ``close()``). While it
    runs, a cancelled ``cancel`` shuts the call's socket down (its callback),
    which wakes a read blocked on a silent server; the result is
    ProviderError(kind="cancelled").
    """
    with CallGuard(cancel) as guard:
        try:
            with guard.opening():
                sdk_stream = open_stream()
        except Exception as exc:
            if guard.cancelled:
                raise cancelled(call) from exc
            raise map_exception(exc, call, streaming=False) from exc
        try:
            for event in translate(sdk_stream):
                if guard.cancelled:
                    raise cancelled(call)
                yield event
        except IncompleteStream:
            if guard.cancelled:
                raise cancelled(call) from None
            raise incomplete(call) from None
        except ProviderError:
            raise
        except Exception as exc:
            if guard.cancelled:
                raise cancelled(call) from exc
            raise map_exception(exc, call, streaming=True) from exc
        finally:
            sdk_stream.close()
