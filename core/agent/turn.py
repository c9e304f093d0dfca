"""The turn loop: ask the model, run the tools it calls, ask again, until it answers.

``run_turn`` runs in a run's worker thread. It writes what the model produces into the
``LiveRun`` (which the checkpointer saves) and reports each thing as it happens through
``emit(type, data)``, in order: text.delta, reasoning.delta, usage, tool.started,
approval.requested (through the broker), tool.completed. The run's own start and end
events are the caller's.

Cancel is one ``CancelToken`` per run: the provider stream (which shuts its socket),
run_command (which kills its process group) and the approval broker (which stops waiting)
each register on it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from core.agent.approvals import ApprovalBroker
from core.agent.context import tokens
from core.agent.context.budget import Budget
from core.agent.context.compact import summarise
from core.agent.context.plan import fit, plan_request
from core.agent.context.prices import cost
from core.agent.providers import (
    Finish,
    ProviderError,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    Usage,
)
from core.agent.tools import Tool, ToolContext, ToolError, ToolResult, run_tool, tool_schemas
from core.agent.tools.base import check_arguments
from core.cancel import CancelToken
from core.runs.live_run import LiveRun

Emit = Callable[[str, dict], None]

DEFAULT_MAX_STEPS = 50
MIN_TOKENS_FOR_SPEED = 20  # fewer say more about latency than about speed
MISSING_RESULT = "Error: no result was recorded: the run ended before this tool finished."


class _Cancelled(Exception):
    """Unwinds the loop once the run's cancel event is seen."""


def run_turn(
    live: LiveRun,
    *,
    provider: Any,
    model: str,
    history: list[dict],
    system: str,
    tools: list,
    tool_context: ToolContext,
    approvals: ApprovalBroker,
    emit: Emit,
    cancel: CancelToken,
    max_steps: int = DEFAULT_MAX_STEPS,
    options: Mapping[str, Any] | None = None,
    context: Budget | None = None,
) -> str:
    """Run one agent turn; returns "completed" or "cancelled".

    ``history`` is the session's shown path, ending with the message to answer: the new user
    message, or (a Continue) the assistant answer to extend, whose text ``live`` already
    holds. A provider error (or any other failure) propagates; what was produced so far stays
    in ``live`` for the caller to store. ``context`` keeps each request inside the model's
    window: the path is sent from its last summary on, and a turn over the threshold is
    compacted first (and once more if the provider still says it is too long).
    """
    if tool_context.cancel is not cancel:
        # One event must stop everything, the running command included.
        tool_context = replace(tool_context, cancel=cancel)
    turn = _Turn(
        live=live,
        provider=provider,
        model=model,
        system=system,
        tools=tools,
        tool_context=tool_context,
        approvals=approvals,
        emit=emit,
        cancel=cancel,
        options=options,
        budget=context,
    )
    history = list(history)
    if turn.may_compact(history):
        history = turn.compact(history, force=False)
    messages = turn.request(history)
    if messages and messages[-1]["role"] == "assistant" and not messages[-1].get("tool_calls"):
        raw = str(history[-1].get("content") or "")
        turn.continuation = Continuation(messages[-1]["content"], raw[len(raw.rstrip()) :])
    try:
        return turn.run(messages, max(1, max_steps), history)
    except _Cancelled:
        approvals.cancel_run(live.run_id)
        return "cancelled"


class _Turn:
    def __init__(
        self,
        *,
        live: LiveRun,
        provider: Any,
        model: str,
        system: str,
        tools: Sequence[Tool],
        tool_context: ToolContext,
        approvals: ApprovalBroker,
        emit: Emit,
        cancel: CancelToken,
        options: Mapping[str, Any] | None,
        budget: Budget | None = None,
    ) -> None:
        self.live = live
        self.budget = budget
        self.base_system = system
        self.provider = provider
        self.model = model
        self.system = system
        self.tools = {tool.name: tool for tool in tools}
        self.schemas = tool_schemas(list(tools))
        self.ctx = tool_context
        self.approvals = approvals
        self.emit = emit
        self.cancel = cancel
        self.options = options
        self.input_tokens = 0
        self.output_tokens = 0
        self.continuation: Continuation | None = None  # set while a Continue's first call runs
        self.estimated = 0  # the estimate of the request being answered, for calibration
        self.extra_usage: dict[str, float] = {}  # cached and reasoning tokens, when reported
        self.generating = 0.0  # seconds from each call's first token to its usage
        self.first_token_at: float | None = None

    def run(self, messages: list[dict[str, Any]], max_steps: int, history: list[dict]) -> str:
        retried = False
        for _ in range(max_steps):
            self._check_cancel()
            try:
                calls = self._ask_model(messages)
            except ProviderError as err:
                if err.kind != "context_too_long":
                    raise
                # Compact and try again, once, if nothing of this turn was written yet.
                if retried or self.live.text or self.live.pending().steps:
                    raise self._too_long(err) from err
                if not self.may_compact(history):
                    raise self._too_long(err) from err
                retried = True
                before = len(history)
                # The server's window is smaller than what was sent, whatever Hearth thought.
                if self.estimated and self.budget is not None:
                    smaller = int(self.estimated * 0.6)
                    self.budget.window = min(self.budget.window or smaller, smaller)
                history = self.compact(history, force=True)
                if len(history) == before:
                    raise self._too_long(err) from err
                messages = self.request(history)
                continue
            if not calls:
                return "completed"
            step = self.live.finish_assistant_step(
                tool_calls=[{"id": c.id, "name": c.name, "arguments": c.arguments} for c in calls]
            )
            if messages and messages[-1]["role"] == "assistant":  # a Continue: the same message
                messages[-1] = _for_model(step)
            else:
                messages.append(_for_model(step))
            for call in calls:
                self._check_cancel()
                messages.append(_for_model(self._run_call(call)))
        self._say(
            f"[Hearth stopped the agent after {max_steps} model calls without a final answer. "
            "Send a message to let it continue.]"
        )
        return "completed"

    # --- the context -----------------------------------------------------------

    def may_compact(self, history: Sequence[Mapping[str, Any]]) -> bool:
        """A turn that answers a user message may add a summary (a Continue may not: the
        answer it extends must stay the last message)."""
        return (
            self.budget is not None
            and self.budget.save_summary is not None
            and bool(history)
            and history[-1].get("role") == "user"
        )

    def request(self, history: list[dict]) -> list[dict[str, Any]]:
        """The messages to send for ``history``; sets the system prompt that goes with them."""
        if self.budget is None:
            self.system = self.base_system
            return model_history(history)
        plan = plan_request(history, system=self.base_system, tools=self.schemas)
        self.system = plan.system
        return plan.messages

    def compact(self, history: list[dict], force: bool) -> list[dict]:
        """Summarise the oldest turns if the request would be over the threshold (or
        ``force``); returns the path with the stored summary at its end."""
        budget = self.budget
        assert budget is not None and budget.save_summary is not None
        plan = plan_request(
            history,
            system=self.base_system,
            tools=self.schemas,
            window=budget.window,
            threshold=budget.threshold,
            scale=tokens.factor(budget.provider_key),
            force_compact=force,
        )
        if plan.compact_covers is None:
            return history
        self.emit("context.compacting", {"covers_id": plan.compact_covers})
        try:
            text = summarise(
                self.provider,
                self.model,
                history,
                plan.compact_covers,
                window=budget.window,
                cancel=self.cancel,
            )
        except ProviderError as err:
            if err.kind == "cancelled" or self.cancel.is_set():
                raise _Cancelled from err
            if err.kind == "context_too_long":
                raise self._too_long(err) from err
            raise ProviderError(
                err.kind,
                f"Hearth tried to summarise the oldest turns to fit the context window, but the "
                f"model could not: {err.message}",
                status=err.status,
            ) from err
        self._check_cancel()
        if not text:
            return history
        summary = budget.save_summary(text, plan.compact_covers)
        self.emit("context.compacted", {"summary": summary})
        return [*history, summary]

    def _too_long(self, err: ProviderError) -> ProviderError:
        return ProviderError(
            "context_too_long",
            f"{err.message} Hearth already sends only a summary of the older turns; what is "
            "left (the last message, or a tool output in it) is still too long for this "
            "model. Shorten the message, turn tools off for this chat, or pick a model with a "
            "larger context window (or set its real window under Settings if Hearth's is "
            "wrong).",
            status=err.status,
        )

    # --- the model -----------------------------------------------------------

    def _ask_model(self, messages: list[dict[str, Any]]) -> list[ToolCall]:
        """Stream one answer into the live run; returns the tool calls it made."""
        calls: list[ToolCall] = []
        finish = None
        estimated = 0
        if self.budget is not None:
            messages, estimated = fit(
                messages, self.system, self.schemas, self.budget.window, self.budget.threshold
            )
        self.estimated = estimated
        self.first_token_at = None
        events = self.provider.stream(
            messages,
            model=self.model,
            tools=self.schemas,
            system=self.system,
            options=self.options,
            cancel=self.cancel,
        )
        continuation, self.continuation = self.continuation, None
        try:
            for event in events:
                self._check_cancel()
                if self.first_token_at is None and not isinstance(event, (Usage, Finish)):
                    self.first_token_at = time.monotonic()
                if isinstance(event, TextDelta):
                    text = continuation.feed(event.text) if continuation else event.text
                    if text:
                        self.live.add_text(text)
                        self.emit("text.delta", {"text": text})
                elif isinstance(event, ReasoningDelta):
                    if event.text:
                        self.live.add_reasoning(event.text)
                        self.emit("reasoning.delta", {"text": event.text})
                elif isinstance(event, ToolCall):
                    calls.append(event)
                elif isinstance(event, Usage):
                    self._add_usage(event)
                elif isinstance(event, Finish):
                    finish = event.reason
        except ProviderError as err:
            if err.kind == "cancelled" or self.cancel.is_set():
                raise _Cancelled from err
            raise
        except Exception:
            if self.cancel.is_set():  # a socket shut by the cancel may fail oddly
                raise _Cancelled from None
            raise
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()
        self._check_cancel()
        if finish == "length" and not calls:
            self._say("[The answer was cut off: the model reached its output limit.]")
        return calls

    def _add_usage(self, usage: Usage) -> None:
        if self.budget is not None and self.estimated:
            tokens.calibrate(self.budget.provider_key, self.estimated, usage.input_tokens)
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        if self.first_token_at is not None:
            self.generating += time.monotonic() - self.first_token_at
            self.first_token_at = None
        for key, found in _usage_details(usage.raw).items():
            self.extra_usage[key] = self.extra_usage.get(key, 0) + found
        totals: dict[str, Any] = {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            **self.extra_usage,
        }
        if self.generating > 0.05 and self.output_tokens >= MIN_TOKENS_FOR_SPEED:
            totals["output_tokens_per_s"] = round(self.output_tokens / self.generating, 1)
        if self.budget is not None and self.budget.price is not None:
            totals["cost_usd"] = cost(self.input_tokens, self.output_tokens, self.budget.price)
        self.live.usage = totals
        # The last call's input is what the conversation now weighs in the model's context.
        self.emit("usage", {**totals, "last_input_tokens": usage.input_tokens})

    def _say(self, note: str) -> None:
        """Add Hearth's own note to the answer being written."""
        text = note if not self.live.text else "\n\n" + note
        self.live.add_text(text)
        self.emit("text.delta", {"text": text})

    # --- the tools -----------------------------------------------------------

    def _run_call(self, call: ToolCall) -> dict[str, Any]:
        """Run one tool call (asking first if it does more than read); returns its result."""
        arguments, bad_json = _parse_arguments(call.arguments)
        self.emit(
            "tool.started",
            {"call_id": call.id, "name": call.name, "arguments": arguments},
        )
        tool = self.tools.get(call.name)
        if tool is None:
            names = ", ".join(self.tools) or "none"
            result = _error(f"there is no tool called {call.name!r}. The tools are: {names}.")
        elif bad_json is not None:
            result = _error(
                f"the arguments of this {call.name} call are not valid JSON ({bad_json}). "
                "Call the tool again with a JSON object that fits its schema."
            )
        else:
            result = self._checked_run(tool, call, arguments)
        step = self.live.add_tool_result(
            call.id, call.name, result.output, status="complete" if result.ok else "error"
        )
        self.emit(
            "tool.completed",
            {
                "call_id": call.id,
                "ok": result.ok,
                "output": result.display if result.display is not None else result.output,
            },
        )
        self._check_cancel()
        return step

    def _checked_run(self, tool: Tool, call: ToolCall, arguments: Any) -> ToolResult:
        try:
            checked = check_arguments(tool.parameters, arguments)
        except ToolError as exc:
            return _error(exc.message)
        refusal = tool.refusal(checked, self.ctx)
        if refusal is not None:
            return _error(refusal)
        # The ledger decides: the tool's policy, grants and pins; it asks the user if needed.
        decision = self.approvals.approve_call(
            tool,
            checked,
            session_id=self.live.session_id,
            run_id=self.live.run_id,
            summary=_summary(tool, checked),
            workspace=self.ctx.workspace,
            emit=self.emit,
            cancel=self.cancel,
        )
        if decision == "cancelled":
            return _error("the run was cancelled before the user answered; nothing was done.")
        if decision == "blocked":
            return _error(
                f"the user turned the tool {tool.name} off in Settings; nothing was done. "
                "Do not call it again."
            )
        if decision == "deny":
            return _error(
                f"the user denied this {tool.name} call; nothing was done. Do not try the "
                "same call again: ask the user, or find another way."
            )
        return run_tool(tool, checked, self.ctx)

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise _Cancelled


class Continuation:
    """The text a Continue adds to a kept answer, as it streams.

    The provider was given the kept text without its trailing whitespace (Anthropic refuses a
    final assistant message that ends with whitespace; tokenizers continue better without it),
    and the live run holds that same text. The first added text gets the whitespace back
    unless it brings its own. A server that starts the answer over instead of continuing it
    sends the kept text again first: the opening text is held back until it either differs
    from the kept text's start (it is new: it goes through) or holds all of it (a repeat:
    only what follows is added). What is still held when the stream ends only repeated part
    of the kept text, and is dropped.
    """

    def __init__(self, kept: str, trailing: str = "") -> None:
        self.kept = kept
        self.trailing = trailing
        self.held = ""
        self.deciding = bool(kept)
        self.started = False

    def feed(self, text: str) -> str:
        """What of ``text`` to add to the answer now."""
        if not self.deciding:
            return self._out(text)
        self.held += text
        opening = self.held.lstrip()
        if len(opening) < len(self.kept) and self.kept.startswith(opening):
            return ""  # a repeat so far, or only whitespace: wait for more
        self.deciding = False
        if opening.startswith(self.kept):
            return self._out(opening[len(self.kept) :])
        return self._out(self.held)

    def _out(self, text: str) -> str:
        if not text:
            return ""
        if not self.started:
            self.started = True
            if not text[0].isspace():
                return self.trailing + text
        return text


def model_history(history: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The stored messages as a provider should see them.

    Interrupted or cancelled text is kept (it is context), empty messages are dropped,
    a tool result is kept only right after the assistant message that called it (providers
    reject orphans), and a call without a result (a crash or cancel came first) gets one
    saying so (providers reject unanswered calls too). A call id used before in the
    session (two saves of one step, say) is sent renamed, with its result: Anthropic
    refuses a history whose tool_use ids repeat.
    """
    out: list[dict[str, Any]] = []
    waiting: list[tuple[str, str, str]] = []  # (stored id, id sent, tool name) of the last calls
    used: set[str] = set()

    def close_calls() -> None:
        for _, sent_id, name in waiting:
            out.append(
                {"role": "tool", "tool_call_id": sent_id, "name": name, "content": MISSING_RESULT}
            )
        waiting.clear()

    for message in history:
        role = message.get("role")
        content = message.get("content") or ""
        if not isinstance(content, str):
            content = str(content)
        if role == "tool":
            call_id = message.get("tool_call_id")
            match = next((w for w in waiting if w[0] == call_id), None)
            if match is not None:
                waiting.remove(match)
                out.append(
                    {
                        "role": "tool",
                        "tool_call_id": match[1],
                        "name": message.get("name") or match[2],
                        "content": content,
                    }
                )
            continue
        close_calls()
        if role == "assistant":
            calls = []
            for c in message.get("tool_calls") or []:
                if not (isinstance(c, Mapping) and c.get("id") and c.get("name")):
                    continue
                sent_id = _unused_id(str(c["id"]), used)
                waiting.append((c["id"], sent_id, c["name"]))
                arguments = _arguments_text(c.get("arguments"))
                calls.append({"id": sent_id, "name": c["name"], "arguments": arguments})
            if not content.strip() and not calls:
                continue
            text = content if content.strip() else ""
            entry: dict[str, Any] = {"role": "assistant", "content": text}
            if calls:
                entry["tool_calls"] = calls
            out.append(entry)
        elif role in ("user", "system"):
            if content.strip() or message.get("parts"):
                entry = {"role": role, "content": content}
                if message.get("parts"):  # attachments, as core.agent.attachments loaded them
                    entry["parts"] = message["parts"]
                out.append(entry)
    close_calls()
    if out and out[-1]["role"] == "assistant" and not out[-1].get("tool_calls"):
        # A Continue: the answer to extend is the final assistant message, which must not
        # end with whitespace (Anthropic refuses it).
        out[-1]["content"] = out[-1]["content"].rstrip()
    return out


def _usage_details(raw: Mapping[str, Any]) -> dict[str, int]:
    """Cached input and reasoning tokens, where the wire reports them."""
    out = {}
    prompt = raw.get("prompt_tokens_details")
    cached = (prompt.get("cached_tokens") if isinstance(prompt, Mapping) else None) or raw.get(
        "cache_read_input_tokens"
    )
    completion = raw.get("completion_tokens_details")
    reasoning = completion.get("reasoning_tokens") if isinstance(completion, Mapping) else None
    if isinstance(cached, int) and cached > 0:
        out["cached_input_tokens"] = cached
    if isinstance(reasoning, int) and reasoning > 0:
        out["reasoning_tokens"] = reasoning
    return out


def _unused_id(call_id: str, used: set[str]) -> str:
    """``call_id``, or a variant of it, not in ``used`` (which it joins)."""
    sent_id, n = call_id, 1
    while sent_id in used:
        n += 1
        sent_id = f"{call_id}_{n}"
    used.add(sent_id)
    return sent_id


def _for_model(step: Mapping[str, Any]) -> dict[str, Any]:
    """A step the LiveRun recorded, as model_history would give it back."""
    if step["role"] == "assistant":
        return {"role": "assistant", "content": step["content"], "tool_calls": step["tool_calls"]}
    return {
        "role": "tool",
        "tool_call_id": step["tool_call_id"],
        "name": step["name"],
        "content": step["content"],
    }


def _parse_arguments(text: Any) -> tuple[Any, str | None]:
    """(the arguments, parsed where they are JSON; None, or why they are not JSON)."""
    if isinstance(text, (dict, list)):
        return text, None
    if text is None or (isinstance(text, str) and not text.strip()):
        return {}, None
    try:
        return json.loads(text), None
    except ValueError as exc:
        return text, str(exc)


def _arguments_text(arguments: Any) -> str:
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments if arguments is not None else {})


def _summary(tool: Tool, arguments: Mapping[str, Any]) -> str:
    try:
        return tool.summary(arguments)
    except Exception:
        return f"Use {tool.name}"


def _error(message: str) -> ToolResult:
    return ToolResult(ok=False, output=f"Error: {message}")
