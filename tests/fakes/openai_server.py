"""A fake OpenAI-compatible server: /v1/chat/completions and /v1/models."""

from __future__ import annotations

import json
from typing import Any

from .history_rules import openai_history_error
from .scripts import Failure, Reply, split
from .server import FakeModelServer, Frame, sse

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "invalid_request_error",
    429: "rate_limit_error",
}
_ERROR_CODES = {401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded"}


class FakeOpenAIServer(FakeModelServer):
    """Speaks Chat Completions streaming: ``data: {chunk}`` lines, then ``data: [DONE]``.

    Set ``reject_stream_options`` to answer 400 to any request that carries
    ``stream_options``, as some local servers do. A history OpenAI would refuse (a tool
    message answering no call, a call left unanswered) gets its 400.
    """

    wire = "openai"
    completion_suffix = "/chat/completions"
    url_suffix = "/v1"

    def __init__(self, models: list[str] | None = None) -> None:
        super().__init__(models)
        self.reject_stream_options = False

    def precheck(self, request: Any) -> Failure | None:
        if self.reject_stream_options and "stream_options" in request:
            return Failure(400, "Unrecognized request argument supplied: stream_options")
        problem = openai_history_error(request.get("messages"))
        return Failure(400, problem) if problem else None

    def context_error_body(self, counted: int) -> Any:
        return {
            "error": {
                "message": f"This model's maximum context length is {self.window_tokens} tokens."
                f" However, your messages resulted in {counted} tokens. Please reduce the"
                " length of the messages.",
                "type": "invalid_request_error",
                "param": "messages",
                "code": "context_length_exceeded",
            }
        }

    def frames(self, reply: Reply, request: Any) -> list[Frame]:
        model = request.get("model", "fake-model")

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            return sse(_chunk(model, [_choice(delta, finish)]))

        frames = [Frame(chunk({"role": "assistant", "content": ""}))]
        for piece in split(reply.reasoning, reply.chunks):
            frames.append(Frame(chunk({reply.reasoning_field: piece}), content=True))
        for piece in split(reply.text, reply.chunks):
            frames.append(Frame(chunk({"content": piece}), content=True))
        for index, call in enumerate(reply.tool_calls):
            frames.extend(_tool_call_frames(chunk, index, call, reply.fragments))
        if not reply.no_finish:
            frames.append(Frame(chunk({}, reply.finish or _default_finish(reply))))
        include_usage = (request.get("stream_options") or {}).get("include_usage")
        if include_usage and reply.usage is not None:
            frames.append(Frame(sse(_chunk(model, [], usage=_usage(reply.usage)))))
        frames.append(Frame(sse("[DONE]")))
        return frames

    def malformed_frame(self) -> Frame:
        return Frame(b'data: {"id": "chatcmpl-fake", "choices": [{"delta": \n\n')

    def error_frame(self, message: str) -> Frame:
        return Frame(sse({"error": {"message": message, "type": "server_error", "code": None}}))

    def whole_answer(self, reply: Reply, request: Any) -> Any:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": _call_id(i, c),
                    "type": "function",
                    "function": {"name": c["name"], "arguments": _arguments(c)},
                }
                for i, c in enumerate(reply.tool_calls)
            ]
        answer = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": request.get("model", "fake-model"),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": reply.finish or _default_finish(reply),
                }
            ],
        }
        if reply.usage is not None:
            answer["usage"] = _usage(reply.usage)
        return answer

    def error_body(self, failure: Failure) -> Any:
        return {
            "error": {
                "message": failure.message or f"Fake error {failure.status}",
                "type": _ERROR_TYPES.get(failure.status, "server_error"),
                "param": None,
                "code": _ERROR_CODES.get(failure.status),
            }
        }

    def models_body(self) -> Any:
        return {
            "object": "list",
            "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                for m in self.models or []
            ],
        }


def _tool_call_frames(chunk: Any, index: int, call: dict[str, Any], fragments: int) -> list[Frame]:
    head = {
        "index": index,
        "id": _call_id(index, call),
        "type": "function",
        "function": {"name": call["name"], "arguments": ""},
    }
    frames = [Frame(chunk({"tool_calls": [head]}))]
    for piece in split(_arguments(call), fragments):
        fragment = {"index": index, "function": {"arguments": piece}}
        frames.append(Frame(chunk({"tool_calls": [fragment]}), content=True))
    return frames


def _chunk(model: str, choices: list[Any], usage: Any = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": choices,
        "usage": usage,
    }


def _choice(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}


def _usage(usage: dict[str, int]) -> dict[str, int]:
    prompt, completion = usage.get("input_tokens", 0), usage.get("output_tokens", 0)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _default_finish(reply: Reply) -> str:
    return "tool_calls" if reply.tool_calls else "stop"


def _call_id(index: int, call: dict[str, Any]) -> str:
    return call.get("id") or f"call_fake_{index}"


def _arguments(call: dict[str, Any]) -> str:
    arguments = call.get("arguments", {})
    return arguments if isinstance(arguments, str) else json.dumps(arguments)
