"""Turn SDK and transport exceptions into ProviderErrors a person can act on.

Both SDKs share one exception shape (APIStatusError with ``status_code``,
``response`` and ``body``; APIConnectionError; APITimeoutError), so this module
reads them by attribute and never imports either SDK.
"""

from __future__ import annotations

import email.utils
import json
import re
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

from .base import ProviderError

_CONTEXT_PATTERNS = re.compile(
    r"context[_ ]length|context window|maximum context|context size|prompt is too long"
    r"|too many tokens|exceeds? the (available )?context|input is too long|reduce the length",
    re.IGNORECASE,
)
# A refusal of the images in a message (for a model Hearth did not know to be text-only).
_IMAGE_PATTERNS = re.compile(
    r"image|vision|multi-?modal|does not support (this )?content type", re.IGNORECASE
)
_SIZE_PATTERNS = re.compile(
    r"too (large|big)|exceeds?|maximum|max(imum)? (file )?size|dimensions", re.IGNORECASE
)
_MAX_SERVER_TEXT = 300


@dataclass(frozen=True)
class CallInfo:
    """What an error message needs to name: who was called, for what model."""

    provider: str
    url: str
    model: str
    api_key: str | None
    timeout: float
    wire: str  # "OpenAI-compatible" or "Anthropic-compatible"


def map_exception(exc: BaseException, call: CallInfo, *, streaming: bool) -> ProviderError:
    """The ProviderError for ``exc``.

    ``streaming`` says the failure came while reading a stream that had opened.
    Exceptions that no server or network can cause (bugs) propagate as they are.
    """
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, json.JSONDecodeError):
        return malformed(call, f"bad JSON: {exc.msg}")
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    if isinstance(status, int) and status >= 400:
        return _from_status(status, response, getattr(exc, "body", None), call)
    if _is_timeout(exc):
        return _redacted(
            "network",
            f"{call.provider} did not answer within {call.timeout:g} s ({call.url}). "
            "Try again, or raise the timeout in Settings.",
            call,
        )
    if _is_transport_error(exc):
        if streaming:
            return _redacted(
                "network",
                f"The connection to {call.provider} ({call.url}) broke before the answer "
                "was complete; the text that arrived is kept. Try again, or ask it to continue.",
                call,
            )
        return _redacted("network", f"Could not reach {call.url}: {_reason(exc)}", call)
    if streaming and isinstance(exc, (AttributeError, KeyError, TypeError, ValueError)):
        # The SDKs build events without validating them: an odd event fails here.
        return malformed(call, f"an unexpected event: {type(exc).__name__}: {exc}")
    if _has_error_body(exc):
        # An error the server sent inside an otherwise good stream.
        text = _server_text(getattr(exc, "body", None)) or str(exc)
        return _redacted(
            "server_error",
            f"{call.provider} reported an error mid-answer: {text}. Try again.",
            call,
        )
    raise exc


def map_listing_exception(exc: BaseException, call: CallInfo) -> ProviderError:
    """As map_exception, for the model list: a 404 there means no list, not no model."""
    error = map_exception(exc, call, streaming=False)
    if error.status != 404:
        return error
    return _redacted(
        "bad_request",
        f"{call.provider} does not list its models at {call.url}/models; "
        "type the model's name instead.",
        call,
        status=404,
    )


def malformed(call: CallInfo, detail: str) -> ProviderError:
    return _redacted(
        "malformed_stream",
        f"{call.provider} sent a stream Hearth could not read ({detail}). "
        f"Check that {call.url} is an {call.wire} endpoint.",
        call,
        retryable=False,
    )


def incomplete(call: CallInfo) -> ProviderError:
    return _redacted(
        "network",
        f"The answer from {call.provider} ({call.url}) was cut short before the model "
        "finished; the text that arrived is kept. Try again, or ask it to continue.",
        call,
    )


def cancelled(call: CallInfo) -> ProviderError:
    return _redacted("cancelled", f"The request to {call.provider} was cancelled.", call)


def _from_status(status: int, response: Any, body: Any, call: CallInfo) -> ProviderError:
    text = _server_text(body)
    said = f" The server said: {text}" if text else ""
    retry_after = _retry_after(response)
    if status == 401:
        if call.api_key:
            msg = f"{call.provider} rejected the API key. Check the key in Settings."
        else:
            msg = f"{call.provider} needs an API key. Add one in Settings."
        return _redacted("auth", msg, call, status=status)
    if status == 403:
        return _redacted(
            "auth",
            f"{call.provider} refused access (HTTP 403). Check that the API key in Settings "
            f"may use {_the_model(call)}.{said}",
            call,
            status=status,
        )
    if status == 404:
        return _redacted(
            "model_not_found",
            f"The model '{call.model}' was not found on {call.url}; pick another model "
            f"(or check the base URL in Settings).{said}",
            call,
            status=status,
        )
    if status == 413 or (status in (400, 422) and _CONTEXT_PATTERNS.search(_body_blob(body))):
        return _redacted(
            "context_too_long",
            f"The conversation is too long for {_the_model(call)} on {call.provider}. "
            "Start a new session, or pick a model with a larger context window.",
            call,
            status=status,
        )
    if status == 429:
        if "insufficient_quota" in _body_blob(body):
            return _redacted(
                "rate_limited",
                f"{call.provider} says the account has run out of quota. "
                f"Check the plan and billing of this API key.{said}",
                call,
                status=status,
                retryable=False,
            )
        wait = f"Wait {retry_after:g} s and try again." if retry_after else "Try again shortly."
        return _redacted(
            "rate_limited",
            f"{call.provider} is limiting how often Hearth may call it (HTTP 429). {wait}",
            call,
            status=status,
            retry_after=retry_after,
        )
    if status >= 500 or status in (408, 409):
        return _redacted(
            "server_error",
            f"{call.provider} had a server error (HTTP {status}). Try again in a moment.{said}",
            call,
            status=status,
            retry_after=retry_after,
        )
    if status in (400, 413, 415, 422) and _IMAGE_PATTERNS.search(_body_blob(body)):
        if _SIZE_PATTERNS.search(_body_blob(body)):
            return _redacted(
                "bad_request",
                f"An image in this conversation is larger than {call.provider} takes for"
                f" {_the_model(call)}. Send a smaller image (or a screenshot of part of"
                f" it).{said}",
                call,
                status=status,
            )
        return _redacted(
            "bad_request",
            f"{_the_model(call).capitalize()} on {call.provider} does not take images. Send"
            f" the message without the image, or pick a model that reads images.{said}",
            call,
            status=status,
        )
    return _redacted(
        "bad_request",
        f"{call.provider} rejected the request (HTTP {status}).{said}",
        call,
        status=status,
    )


def _the_model(call: CallInfo) -> str:
    return f"the model '{call.model}'" if call.model else "this service"


def _redacted(kind: str, message: str, call: CallInfo, **kwargs: Any) -> ProviderError:
    if call.api_key and len(call.api_key) >= 4:
        message = message.replace(call.api_key, "[hidden key]")
    return ProviderError(kind, message[:1].upper() + message[1:], **kwargs)


def _server_text(body: Any) -> str:
    """The human part of an error body: {"error": {"message"}}, {"error": "..."}, text."""
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return _clip(body)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, str):
            return _clip(error)
        if isinstance(error, dict):
            for key in ("message", "detail", "error"):
                if isinstance(error.get(key), str):
                    return _clip(error[key])
        for key in ("message", "detail"):
            if isinstance(body.get(key), str):
                return _clip(body[key])
    return ""


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_SERVER_TEXT else text[: _MAX_SERVER_TEXT - 1] + "…"


def _body_blob(body: Any) -> str:
    if isinstance(body, (dict, list)):
        return json.dumps(body)
    return str(body or "")


def _retry_after(response: Any) -> float | None:
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _is_timeout(exc: BaseException) -> bool:
    """A read that waited too long (a connect timeout is a connection failure)."""
    names = set().union(*(_names(e) for e in _chain(exc)))
    if "ConnectTimeout" in names:
        return False
    return bool(names & {"APITimeoutError", "ReadTimeout", "WriteTimeout", "PoolTimeout"})


def _is_transport_error(exc: BaseException) -> bool:
    names = set().union(*(_names(e) for e in _chain(exc)))
    return bool(names & {"APIConnectionError", "TransportError", "NetworkError", "ProtocolError"})


def _has_error_body(exc: BaseException) -> bool:
    return "APIError" in _names(exc)


def _reason(exc: BaseException) -> str:
    chain = _chain(exc)
    for err in chain:
        if isinstance(err, ConnectionRefusedError):
            return "connection refused. Is the server running?"
        if isinstance(err, socket.gaierror):
            return "the host name could not be resolved. Check the base URL in Settings."
        if isinstance(err, ssl.SSLError):
            return f"the secure connection failed ({err.reason or err}). Check the base URL."
        if "ConnectTimeout" in _names(err):
            return "the connection timed out. Check the address and your network."
    for err in chain:
        if "RemoteProtocolError" in _names(err) or "ReadError" in _names(err):
            return "the server closed the connection without answering. Is it the right address?"
    inner = chain[-1]
    return f"{inner}. Check the base URL in Settings and that the server is running."
