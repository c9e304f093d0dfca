"""JSON in and out: reading request bodies, answering errors, and turning exceptions into JSON."""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any

import bottle

from core.errors import Conflict, HearthError, InvalidInput, NotFound
from core.store.database import DiskFull, StoreBusy, StoreReadOnly

log = logging.getLogger("hearth.http")

MAX_BODY = 10 * 1024 * 1024
# A ChatGPT or Claude export (hundreds of MB) is streamed to a file on this one route.
IMPORT_PATH = "/api/sessions/import"
MAX_IMPORT_BODY = 4 * 1024**3
# An attachment is streamed to the data folder on this one route (core.agent.attachments.kinds).
ATTACHMENTS_PATH = "/api/attachments"
MAX_ATTACHMENT_BODY = 25 * 1024 * 1024
MAX_JSON_DEPTH = 64
MAX_LOGGED_PATH = 200
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,15}")
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    429: "too_many_requests",
    500: "internal_error",
    502: "provider_error",
    503: "unavailable",
    507: "insufficient_storage",
}
TYPE_NAMES = {
    str: "a string",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    dict: "an object",
    list: "a list",
}
DEFAULT_MESSAGES = {
    400: "The request is not valid.",
    401: "This request needs Hearth's API token.",
    403: "This request is not allowed.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    413: "The request body is larger than 10 MB.",
    429: "Too many requests are open at once; close one and try again.",
    500: "Something went wrong inside Hearth; the details are in its log.",
}


def body_limit(method: str, path: str) -> int:
    """The largest request body the route at ``path`` takes."""
    if method == "POST" and path == IMPORT_PATH:
        return MAX_IMPORT_BODY
    if method == "POST" and path == ATTACHMENTS_PATH:
        return MAX_ATTACHMENT_BODY
    return MAX_BODY


def too_large(limit: int) -> str:
    """The sentence for a body over ``limit``, a route's own (larger) limit."""
    if limit >= 1024**3:
        return f"The file is larger than {limit // 1024**3} GB."
    return f"The file is larger than {limit // 1024**2} MB."


def error_body(status: int, code: str | None = None, message: str | None = None) -> bytes:
    code = code or STATUS_CODES.get(status, "error")
    message = message or DEFAULT_MESSAGES.get(status, "The request failed.")
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def fail(status: int, code: str | None = None, message: str | None = None) -> bottle.HTTPResponse:
    """An error answer to raise or return from a route."""
    return bottle.HTTPResponse(
        error_body(status, code, message),
        status=status,
        headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
    )


def reply(value: Any, status: int = 200) -> bottle.HTTPResponse:
    return bottle.HTTPResponse(
        json.dumps(value).encode(),
        status=status,
        headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
    )


def no_content() -> bottle.HTTPResponse:
    return bottle.HTTPResponse(b"", status=204)


def status_for(exc: HearthError) -> int:
    if isinstance(exc, InvalidInput):
        return 400
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, DiskFull):
        return 507
    if isinstance(exc, (StoreBusy, StoreReadOnly)):
        return 503  # the store may come back: a locked file is freed, a folder made writable
    return 500


def json_body(*, optional: bool = False) -> dict[str, Any]:
    """The request's JSON object; 400 for a wrong Content-Type, bad JSON or a non-object."""
    request = bottle.request
    length = request.content_length
    if length > MAX_BODY:
        raise fail(413)
    raw = request.body.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise fail(413)
    if not raw.strip() and optional:
        return {}
    content_type = request.content_type.split(";", 1)[0].strip().lower()
    if content_type != "application/json":
        raise fail(400, "bad_content_type", "Send the body as application/json.")
    try:
        value = parse_json(raw)
    except BadJSON as exc:
        raise fail(400, "malformed_json", str(exc)) from None
    if not isinstance(value, dict):
        raise fail(400, "bad_request", "The body must be a JSON object.")
    return value


class BadJSON(ValueError):
    """Why a JSON text was refused, in one sentence."""


def parse_json(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``raw`` parsed as strict JSON: nested at most ``max_depth`` deep, finite numbers only
    (no NaN or Infinity, which browsers cannot read back), and text that is valid Unicode
    (no lone surrogates, which SQLite cannot store). Raises BadJSON."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadJSON("The body is not valid UTF-8 text.") from None
    # Cheap bound first: a text with few brackets cannot nest deeply.
    if raw.count("[") + raw.count("{") > max_depth:
        _check_nesting(raw, max_depth)
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite_float)
    except BadJSON:
        raise
    except (ValueError, RecursionError):
        raise BadJSON("The body is not valid JSON.") from None
    _check_text(value)
    return value


def _check_nesting(raw: str, max_depth: int) -> None:
    """Refuse before parsing when brackets nest deeper than ``max_depth`` (strings skipped)."""
    depth = 0
    for token in _BRACKETS_AND_STRINGS.finditer(raw):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > max_depth:
                raise BadJSON(f"The JSON nests deeper than {max_depth} levels.")
        elif char in "]}":
            depth -= 1


_BRACKETS_AND_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]')


def _no_constant(name: str) -> Any:
    raise BadJSON(f"The JSON holds {name}, which is not a number JSON allows.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadJSON("The JSON holds a number too large to represent.")
    return value


def _check_text(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _valid_unicode(item)
        elif isinstance(item, dict):
            for key, inner in item.items():
                _valid_unicode(key)
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)


def _valid_unicode(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadJSON("The JSON holds text that is not valid Unicode (a lone surrogate).") from None


def loggable(text: str, limit: int = MAX_LOGGED_PATH) -> str:
    """``text`` for a log line: control characters escaped (no forged lines), length capped."""
    shown = repr(text[:limit])
    return shown + "…" if len(text) > limit else shown


def field(body: dict[str, Any], name: str, kind: type | tuple[type, ...], required: bool = False):
    """``body[name]`` checked against ``kind`` (bool is never an int); None when absent."""
    if name not in body or body[name] is None:
        if required:
            raise InvalidInput(f"{name} is required.")
        return None
    value = body[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        names = " or ".join(TYPE_NAMES.get(k, k.__name__) for k in kinds)
        raise InvalidInput(f"{name} must be {names}.")
    return value


def query_int(name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    raw = bottle.request.query.get(name)
    if raw is None or raw == "":
        return default
    if not _WHOLE_NUMBER.fullmatch(raw):
        raise InvalidInput(f"{name} must be a whole number.")
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" to {maximum}" if maximum is not None else " or more"
        raise InvalidInput(f"{name} must be from {minimum}{upper}.")
    return value


def json_errors(callback):
    """Bottle plugin: HearthError → its status and code; anything else → 500, logged."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except bottle.HTTPResponse:
            raise
        except HearthError as exc:
            return fail(status_for(exc), exc.code, exc.message)
        except Exception as exc:
            kind = getattr(exc, "kind", None)
            if kind is not None and type(exc).__name__ == "ProviderError":
                return fail(502, "provider_error", getattr(exc, "message", str(exc)))
            request = bottle.request
            log.exception("%s %s failed", loggable(request.method, 20), loggable(request.path))
            return fail(500)

    return wrapper


def default_error_handler(error: bottle.HTTPError) -> bytes:
    """Every error Bottle itself produces (404, 405, a 500 that escaped) as JSON."""
    if error.status_code >= 500 and error.exception is not None:
        log.error("unhandled error: %r", error.exception)
    bottle.response.content_type = "application/json"
    bottle.response.set_header("Cache-Control", "no-store")
    message = None
    if error.status_code in (400, 413) and isinstance(error.body, str) and error.body:
        message = error.body if len(error.body) < 200 else None
    return error_body(error.status_code, None, message)
