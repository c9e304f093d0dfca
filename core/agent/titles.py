"""Naming a chat with its own model, once, after its first answer.

A new chat is titled at once with the first line of its first message (``core.titles``).
When its first run completes, a thread of its own asks the session's provider and model for
a short title (no tools, a few tokens, a short timeout) and stores it unless the user has
named the chat meanwhile. Anything that goes wrong leaves the first line as the title.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from core.agent.providers.ask import answer_text
from core.cancel import CancelToken
from core.titles import tidy_model_title

log = logging.getLogger(__name__)

TITLE_SYSTEM = (
    "You name conversations. Reply with a title for the conversation below and nothing "
    "else: at most six words, plain text, no quotes, no Markdown, no punctuation at the end, "
    "in the language the user wrote in."
)
TITLE_MAX_TOKENS = 20
TITLE_TIMEOUT_S = 15.0
_EXCERPT = 1500  # characters of the question and of the answer the model is shown
_MAX_REPLY = 400  # characters read from a reply before giving up on it


def ask_for_title(
    provider: Any, model: str, question: str, answer: str, *, cancel: CancelToken
) -> str | None:
    """The model's title for a conversation that starts with ``question`` and ``answer``,
    tidied; None when its reply is not a title. Raises ProviderError on a failed call."""
    prompt = (
        f"<user>\n{_cut(question)}\n</user>\n<assistant>\n{_cut(answer)}\n</assistant>\n\nTitle:"
    )
    reply = answer_text(
        provider,
        model,
        prompt,
        system=TITLE_SYSTEM,
        cancel=cancel,
        options={"max_tokens": TITLE_MAX_TOKENS},
        max_chars=_MAX_REPLY,
    )
    return tidy_model_title(reply)


def first_exchange(messages: Sequence[Mapping[str, Any]]) -> tuple[str, str] | None:
    """The first question on the shown path and the text of the answer that follows it."""
    question = next((i for i, m in enumerate(messages) if m.get("role") == "user"), None)
    if question is None:
        return None
    answer = [
        str(m.get("content") or "")
        for m in messages[question + 1 :]
        if m.get("role") == "assistant" and m.get("status") == "complete"
    ]
    text = next((a for a in answer if a.strip()), "")
    asked = str(messages[question].get("content") or "")
    if not asked.strip():  # a message that is only attachments: their names
        asked = ", ".join(a.get("name", "") for a in messages[question].get("attachments") or ())
    return (asked, text) if asked.strip() and text.strip() else None


class Titler:
    """Gives each untitled chat its model-written title after its first completed run.

    ``agent`` provides ``settings.resolve(session, model)`` and ``provider(config)`` (the
    run's own provider registry and cache). ``after_run`` is the run manager's hook: it
    returns at once; the work is done on a thread of its own."""

    def __init__(self, store: Any, agent: Any, timeout: float = TITLE_TIMEOUT_S) -> None:
        self.store = store
        self.agent = agent
        self.timeout = timeout

    def after_run(self, session_id: str, run_id: str, status: str) -> None:
        if status != "completed":
            return
        name = f"title-{session_id}"
        thread = threading.Thread(target=self.title_now, args=(session_id, run_id), name=name)
        thread.daemon = True
        thread.start()

    def title_now(self, session_id: str, run_id: str) -> None:
        """Name the session now, on this thread, if it is still named by its first line."""
        try:
            session = self.store.claim_title(session_id)
        except Exception:  # deleted meanwhile, or the store is closing
            return
        if session is None:
            return
        title = None
        try:
            title = self._ask(session, run_id)
        except Exception as exc:
            log.info("session %s: no title from the model (%s)", session_id, exc)
        try:
            self.store.settle_title(session_id, title)
        except Exception:
            log.info("session %s: the model's title could not be stored", session_id)

    def _ask(self, session: dict[str, Any], run_id: str) -> str | None:
        exchange = first_exchange(session.get("messages") or ())
        if exchange is None:
            return None
        try:
            model = self.store.get_run(run_id).get("model")
        except Exception:
            model = None
        config, model_name = self.agent.settings.resolve(session, model)
        provider = self.agent.provider(config)
        cancel = CancelToken()
        timer = threading.Timer(self.timeout, cancel.cancel)
        timer.daemon = True
        timer.start()
        try:
            return ask_for_title(provider, model_name, *exchange, cancel=cancel)
        finally:
            timer.cancel()


def _cut(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + " […]"
