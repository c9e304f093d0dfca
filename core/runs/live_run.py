"""What a live run has produced so far, in memory, shared by its worker and the checkpoint loop."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from core.text import valid_data, valid_text


@dataclass(frozen=True)
class Pending:
    """What a checkpoint or the final save has to write."""

    activity: int
    text: str
    reasoning: str
    steps: list[dict[str, Any]]


class LiveRun:
    """The unfinished assistant text and reasoning, and the finished steps, of one run.

    Every change bumps ``activity``, the counter the checkpoint loop watches. Steps are
    finished messages (an assistant message that called tools, a tool result); the
    text and reasoning are those of the assistant message still being written. Everything
    that comes in is made valid text first, so no writer can fail on it.

    ``saving`` is held by whoever writes the run to the store (a checkpoint or the final
    save), so two writes of one run never overlap; ``finished`` is set under it by the final
    save, after which checkpoints do nothing.
    """

    def __init__(self, run_id: str, session_id: str) -> None:
        self.run_id = run_id
        self.session_id = session_id
        self.usage: dict[str, Any] | None = None
        self.saving = threading.Lock()
        self.finished = False
        self.saved_activity = 0
        self._lock = threading.Lock()
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._steps: list[dict[str, Any]] = []
        self._saved_steps = 0
        self._activity = 0

    @property
    def activity(self) -> int:
        return self._activity

    @property
    def text(self) -> str:
        with self._lock:
            return "".join(self._text)

    def add_text(self, text: str) -> None:
        text = valid_text(text)
        with self._lock:
            self._text.append(text)
            self._activity += 1

    def add_reasoning(self, text: str) -> None:
        text = valid_text(text)
        with self._lock:
            self._reasoning.append(text)
            self._activity += 1

    def finish_assistant_step(self, tool_calls: list[dict[str, str]], **extra: Any) -> dict:
        """The model's message so far called tools: it becomes a finished step."""
        tool_calls, extra = valid_data(tool_calls), valid_data(extra)
        with self._lock:
            step = {
                "role": "assistant",
                "content": "".join(self._text),
                "reasoning": "".join(self._reasoning) or None,
                "tool_calls": tool_calls,
                **extra,
            }
            self._text, self._reasoning = [], []
            self._steps.append(step)
            self._activity += 1
        return step

    def add_tool_result(self, tool_call_id: str, name: str, content: str, **extra: Any) -> dict:
        step = valid_data(
            {"role": "tool", "tool_call_id": tool_call_id, "name": name, "content": content}
        )
        step.update(valid_data(extra))
        with self._lock:
            self._steps.append(step)
            self._activity += 1
        return step

    def pending(self) -> Pending:
        """The current text and the steps no checkpoint has written yet."""
        with self._lock:
            return Pending(
                activity=self._activity,
                text="".join(self._text),
                reasoning="".join(self._reasoning),
                steps=list(self._steps[self._saved_steps :]),
            )

    def mark_saved(self, pending: Pending) -> None:
        """``pending`` is on disk (the caller holds ``saving``)."""
        with self._lock:
            self._saved_steps += len(pending.steps)
            self.saved_activity = pending.activity
