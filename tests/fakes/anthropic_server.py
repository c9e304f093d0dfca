"""A fake Anthropic server: /v1/messages (streamed as named SSE events) and /v1/models."""

from __future__ import annotations

import itertools
import json
from typing import Any

from .history_rules import anthropic_history_error
from .scripts import Failure, Reply, split
from .server import FakeModelServer, Frame, sse

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


class FakeAnthropicServer(FakeModelServer):
    """Speaks the Messages stream: message_start, content_block_start/delta/stop,
    message_delta, message_stop (with a ping after message_start)."""

    wire = "anthropic"
    completion_suffix = "/v1/messages"
    url_suffix = ""  # the SDK adds /v1 itself

    def __init__(self, models: list[str] | None = None) -> None:
        super().__init__(models)
        self._ids = itertools.count()  # tool_use ids unique across answers, as Anthropic's are

    def _call_id(self, call: dict[str, Any]) -> str:
        return call.get("id") or f"toolu_fake_{next(self._ids)}"

    def precheck(self, request: Any) -> Failure | None:
        """A history the Messages API refuses (roles not alternating, a tool_use without its
        tool_result, an orphan result, an empty turn) gets its 400."""
        problem = anthropic_history_error(request.get("messages"))
        return Failure(400, problem) if problem else None

    def frames(self, reply: Reply, request: Any) -> list[Frame]:
        usage = reply.usage or {}
        frames = [
            Frame(
                _event(
                    "message_start",
                    message=_message(
                        request,
                        [],
                        None,
                        {"input_tokens": usage.get("input_tokens", 0), "output_tokens": 1},
                    ),
                )
            ),
            Frame(_event("ping")),
        ]
        index = 0
        if reply.reasoning:
            frames.append(
                Frame(
                    _event(
                        "content_block_start",
                        index=index,
                        content_block={"type": "thinking", "thinking": "", "signature": ""},
                    )
                )
            )
            for piece in split(reply.reasoning, reply.chunks):
                frames.append(
                    Frame(
                        _delta(index, {"type": "thinking_delta", "thinking": piece}), content=True
                    )
                )
            frames.append(Frame(_delta(index, {"type": "signature_delta", "signature": "c2ln"})))
            frames.append(Frame(_event("content_block_stop", index=index)))
            index += 1
        if reply.text:
            frames.append(
                Frame(
                    _event(
                        "content_block_start",
                        index=index,
                        content_block={"type": "text", "text": ""},
                    )
                )
            )
            for piece in split(reply.text, reply.chunks):
                frames.append(
                    Frame(_delta(index, {"type": "text_delta", "text": piece}), content=True)
                )
            frames.append(Frame(_event("content_block_stop", index=index)))
            index += 1
        for call in reply.tool_calls:
            frames.append(
                Frame(
                    _event(
                        "content_block_start",
                        index=index,
                        content_block={
                            "type": "tool_use",
                            "id": self._call_id(call),
                            "name": call["name"],
                            "input": {},
                        },
                    )
                )
            )
            for piece in split(_arguments(call), reply.fragments):
                frames.append(
                    Frame(
                        _delta(index, {"type": "input_json_delta", "partial_json": piece}),
                        content=True,
                    )
                )
            frames.append(Frame(_event("content_block_stop", index=index)))
            index += 1
        if reply.no_finish:
            return frames
        frames.append(
            Frame(
                _event(
                    "message_delta",
                    delta={
                        "stop_reason": reply.finish or _default_finish(reply),
                        "stop_sequence": None,
                    },
                    usage={"output_tokens": usage.get("output_tokens", 0)},
                )
            )
        )
        frames.append(Frame(_event("message_stop")))
        return frames

    def malformed_frame(self) -> Frame:
        return Frame(b'event: content_block_delta\ndata: {"type": "content_block_delta", \n\n')

    def error_frame(self, message: str) -> Frame:
        body = {"type": "error", "error": {"type": "overloaded_error", "message": message}}
        return Frame(sse(body, event="error"))

    def whole_answer(self, reply: Reply, request: Any) -> Any:
        content: list[dict[str, Any]] = []
        if reply.text:
            content.append({"type": "text", "text": reply.text})
        for call in reply.tool_calls:
            content.append(
                {
                    "type": "tool_use",
                    "id": self._call_id(call),
                    "name": call["name"],
                    "input": json.loads(_arguments(call) or "{}"),
                }
            )
        usage = reply.usage or {}
        return _message(
            request,
            content,
            reply.finish or _default_finish(reply),
            {
                "input_tokens": usage.get("input_tokens", 0),
                "output_tokens": usage.get("output_tokens", 0),
            },
        )

    def context_error_body(self, counted: int) -> Any:
        return {
            "type": "error",
            "error": {
                "type": "invalid_request_error",
                "message": f"prompt is too long: {counted} tokens > {self.window_tokens} maximum",
            },
        }

    def error_body(self, failure: Failure) -> Any:
        return {
            "type": "error",
            "error": {
                "type": _ERROR_TYPES.get(failure.status, "api_error"),
                "message": failure.message or f"Fake error {failure.status}",
            },
        }

    def models_body(self) -> Any:
        data = [
            {"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"}
            for m in self.models or []
        ]
        return {
            "data": data,
            "has_more": False,
            "first_id": self.models[0] if self.models else None,
            "last_id": self.models[-1] if self.models else None,
        }


def _event(kind: str, **fields: Any) -> bytes:
    return sse({"type": kind, **fields}, event=kind)


def _delta(index: int, delta: dict[str, Any]) -> bytes:
    return _event("content_block_delta", index=index, delta=delta)


def _message(request: Any, content: list[Any], stop: str | None, usage: Any) -> dict[str, Any]:
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": request.get("model", "fake-model"),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": usage,
    }


def _default_finish(reply: Reply) -> str:
    return "tool_use" if reply.tool_calls else "end_turn"


def _arguments(call: dict[str, Any]) -> str:
    arguments = call.get("arguments", {})
    return arguments if isinstance(arguments, str) else json.dumps(arguments)
