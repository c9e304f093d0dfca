"""The Titler against the fake model servers, on both wires: a rename while the model is
asked wins, a title call that hangs is given up at its timeout, and the text rules."""

from __future__ import annotations

import threading
import time

import pytest

from core.agent.agent import Agent
from core.agent.approvals import ApprovalBroker
from core.agent.titles import Titler
from core.settings import Settings
from core.titles import first_line_title, tidy_model_title
from tests.fakes import Reply, fixtures

any_fake = fixtures.any_fake


@pytest.fixture(autouse=True)
def _file_secrets(monkeypatch):
    monkeypatch.setenv("HEARTH_SECRETS_BACKEND", "file")


def agent_for(store, paths, fake) -> Agent:
    settings = Settings(
        paths, env={"HEARTH_SECRETS_BACKEND": "file", "HEARTH_NO_BUILTIN_MODEL": "1"}
    )
    settings.add_provider(
        "Fake", fake.wire, base_url=fake.base_url, default_model="fake-model", api_key="sk-fake"
    )
    return Agent(store, settings, ApprovalBroker())


def first_answer(store, question: str = "Plan a trip to Rome") -> tuple[str, str]:
    """A session whose first run has completed; (session id, run id)."""
    session = store.create_session()
    run_id = store.begin_run(session["id"], question)["run"]["id"]
    store.finish_run(run_id, "completed", "Here is a plan.")
    return session["id"], run_id


def test_a_rename_while_the_model_is_asked_wins(any_fake, store, paths):
    titler = Titler(store, agent_for(store, paths, any_fake))
    sid, run_id = first_answer(store)
    hold = threading.Event()
    script = any_fake.title(Reply(text="Roman holiday", hold=hold, hold_before_headers=True))
    worker = threading.Thread(target=titler.title_now, args=(sid, run_id))
    worker.start()
    assert script.stalled.wait(10)
    assert store.get_session(sid, messages=False)["title_source"] == "titling"

    store.update_session(sid, title="Mine")
    hold.set()
    worker.join(10)

    session = store.get_session(sid, messages=False)
    assert (session["title"], session["title_source"]) == ("Mine", "user")
    titler.title_now(sid, run_id)  # asked once only, and never after the user named it
    assert len(any_fake.title_requests) == 1


def test_a_title_call_that_hangs_is_given_up_at_the_timeout(any_fake, store, paths):
    titler = Titler(store, agent_for(store, paths, any_fake), timeout=0.5)
    sid, run_id = first_answer(store, "# Plan a *trip* to Rome")
    script = any_fake.title(
        Reply(text="Too late", hold=threading.Event(), hold_before_headers=True)
    )
    started = time.monotonic()
    titler.title_now(sid, run_id)
    assert time.monotonic() - started < 5
    assert script.stalled.is_set()
    session = store.get_session(sid, messages=False)
    assert (session["title"], session["title_source"]) == ("Plan a trip to Rome", "fallback")
    assert any_fake.title_requests[-1].disconnected.wait(5)  # the call was hung up


def test_the_model_is_asked_with_the_first_exchange_only(any_fake, store, paths):
    titler = Titler(store, agent_for(store, paths, any_fake))
    sid, run_id = first_answer(store, "x" * 5000)
    any_fake.title(Reply(text="'Many x'"))
    titler.title_now(sid, run_id)
    assert store.get_session(sid, messages=False)["title"] == "Many x"
    sent = str(any_fake.title_requests[-1].json)
    assert "x" * 1500 + " […]" in sent and "x" * 1501 not in sent
    assert "Here is a plan." in sent


@pytest.mark.parametrize(
    ("message", "title"),
    [
        ("# Plan **my** week, please", "Plan my week, please"),
        ("\n\n> - [ ] [Read](https://x.org) `the` _docs_ ~~now~~", "Read the docs now"),
        ("```python\nprint('hi')\n```", "print('hi')"),
        ("Is 2*3*4 = 24? And snake_case_name", "Is 2*3*4 = 24? And snake_case_name"),
        ("word " * 30, "word word word word word word word word word word word word…"),
        ("![a chart](c.png) of <b>sales</b>", "a chart of sales"),
    ],
)
def test_the_first_line_as_plain_text(message, title):
    assert first_line_title(message) == title


@pytest.mark.parametrize(
    ("reply", "title"),
    [
        ('"Trip to Rome."', "Trip to Rome"),
        ('**Title:** "Trip to Rome"', "Trip to Rome"),
        ("<think>short</think>\n# Rust lifetimes!", "Rust lifetimes"),
        ("「東京の旅行」。", "東京の旅行"),
        ("<think>still thinking about it", None),
        ("Sure! Here is a title for the conversation we just had about trips", None),
        ("  ...  ", None),
    ],
)
def test_a_models_reply_tidied_or_refused(reply, title):
    assert tidy_model_title(reply) == title
