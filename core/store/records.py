"""Checking what goes into the store, and shaping rows into the dicts callers get back."""

from __future__ import annotations

import json
import math
import re
import sqlite3
from typing import Any

from core import clock
from core.errors import InvalidInput
from core.ids import check_id, new_id

ROLES = ("user", "assistant", "tool", "summary")
MESSAGE_STATUSES = ("complete", "interrupted", "cancelled", "error")
MAX_TITLE = 300
MAX_SHORT = 4096
MAX_CONTENT = 50 * 1024 * 1024
MAX_USAGE_KEYS = 32
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def text(value: Any, what: str, limit: int = MAX_SHORT) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"The {what} must be a string.")
    if len(value) > limit:
        raise InvalidInput(
            f"The {what} is too long ({len(value):,} characters; at most {limit:,})."
        )
    if "\x00" in value:
        raise InvalidInput(f"The {what} holds a NUL character.")
    return value


def optional_text(value: Any, what: str, limit: int = MAX_SHORT) -> str | None:
    return None if value is None else text(value, what, limit)


def title(value: Any) -> str:
    """A title on one line: control characters (newlines too) become spaces."""
    return " ".join(_CONTROL.sub(" ", text(value, "title", MAX_TITLE)).split())


def flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{what} must be true or false.")
    return value


def timestamp(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _ISO.fullmatch(value):
        raise InvalidInput(f"The {what} must be an ISO 8601 time.")
    return value


def tool_calls(value: Any) -> list[dict[str, str]] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidInput("tool_calls must be a list.")
    calls = []
    for call in value:
        if not isinstance(call, dict):
            raise InvalidInput("Each tool call must be an object.")
        arguments = call.get("arguments", "")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments)
        calls.append(
            {
                "id": text(call.get("id"), "tool call id", 256),
                "name": text(call.get("name"), "tool name", 256),
                "arguments": text(arguments, "tool arguments", MAX_CONTENT),
            }
        )
    return calls


def token_usage(value: Any) -> dict[str, int | float] | None:
    """A message's usage as a flat object of finite numbers (token counts, costs): whatever
    else an import or a provider put in it (objects, lists, text, true/false) is dropped,
    so that a stored message can always be shown. None when nothing is left; a usage that is
    not an object at all is refused."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput("A message's usage must be an object.")
    kept = {}
    for key, number in list(value.items())[:MAX_USAGE_KEYS]:
        if (
            isinstance(key, str)
            and len(key) <= 64
            and isinstance(number, int | float)
            and not isinstance(number, bool)
            and math.isfinite(number)
            and abs(number) < 2**53
        ):
            kept[key] = number
    return kept or None


def message(value: Any) -> dict[str, Any]:
    """Check a message to be stored; fill in its id, status and time."""
    if not isinstance(value, dict):
        raise InvalidInput("A message must be an object.")
    role = value.get("role")
    if role not in ROLES:
        raise InvalidInput(f"A message's role must be one of {', '.join(ROLES)}.")
    status = value.get("status", "complete")
    if status not in MESSAGE_STATUSES:
        raise InvalidInput(f"A message's status must be one of {', '.join(MESSAGE_STATUSES)}.")
    usage = token_usage(value.get("usage"))
    content = value.get("content")
    return {
        "id": check_id(value["id"], "message id") if value.get("id") else new_id(),
        "role": role,
        "content": text("" if content is None else content, "message content", MAX_CONTENT),
        "status": status,
        "tool_calls": tool_calls(value.get("tool_calls")) if role == "assistant" else None,
        "tool_call_id": optional_text(value.get("tool_call_id"), "tool_call_id", 256),
        "name": optional_text(value.get("name"), "tool name", 256),
        "reasoning": optional_text(value.get("reasoning"), "reasoning", MAX_CONTENT),
        "error": optional_text(value.get("error"), "error", MAX_SHORT),
        "usage": usage,
        "created_at": timestamp(value["created_at"], "created_at")
        if value.get("created_at")
        else clock.now(),
    }


def session_row(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": row["title"],
        "title_source": row["title_source"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "pinned": bool(row["pinned"]),
        "model": row["model"],
        "workspace": row["workspace"],
        "system_prompt": row["system_prompt"],
        "import_review": {
            "workspace": row["imported_workspace"],
            "system_prompt": row["imported_system_prompt"],
        }
        if row["import_pending"]
        else None,
        "message_count": row["message_count"],
        "tools_enabled": bool(row["tools_enabled"]),
        "active_run": {
            "id": row["live_run_id"],
            "status": "live",
            "started_at": row["live_run_started_at"],
        }
        if row["live_run_id"]
        else None,
    }


def message_row(row: sqlite3.Row) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row["id"],
        "role": row["role"],
        "content": row["content"],
        "status": row["status"],
        "created_at": row["created_at"],
        "parent_id": row["parent_id"],
    }
    if row["tool_calls"]:
        out["tool_calls"] = json.loads(row["tool_calls"])
    if row["role"] == "tool":
        out["tool_call_id"] = row["tool_call_id"]
        out["name"] = row["name"]
    for key in ("reasoning", "error", "run_id"):
        if row[key]:
            out[key] = row[key]
    if row["role"] == "summary":
        out["covers_id"] = row["covers_id"]
    usage = _stored_usage(row["usage"])
    if usage:
        out["usage"] = usage
    if "attachments" in row.keys() and row["attachments"]:
        out["attachments"] = json.loads(row["attachments"])
    return out


def json_or_none(value: Any) -> str | None:
    return json.dumps(value) if value else None


def _stored_usage(raw: str | None) -> dict[str, int | float] | None:
    """Usage as stored, checked again: rows written before usage was checked may hold
    anything."""
    if not raw:
        return None
    try:
        return token_usage(json.loads(raw))
    except (ValueError, RecursionError, InvalidInput):
        return None


def run_row(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "session_id": row["session_id"],
        "status": row["status"],
        "started_at": row["started_at"],
        "updated_at": row["updated_at"],
        "ended_at": row["ended_at"],
        "model": row["model"],
        "error": row["error"],
    }
