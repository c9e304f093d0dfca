"""Quitting while an answer is being written asks first; quitting then keeps it, interrupted."""

from __future__ import annotations

import threading

import pytest

from core.paths import Paths
from core.store import Store
from tests.desktop.conftest import wait_for
from tests.fakes import FakeOpenAIServer


@pytest.fixture
def stalled_model():
    with FakeOpenAIServer() as fake:
        hold = threading.Event()
        reply = fake.reply(text="The first half of an answer, and the rest", chunks=4, hold=hold)
        yield fake, reply
        hold.set()


def press(hearth, window: str, keys: str) -> None:
    hearth.x("xdotool", "windowfocus", "--sync", window)
    hearth.x("xdotool", "key", "--clearmodifiers", keys)


def test_closing_during_a_live_run_asks_and_quitting_keeps_it_interrupted(
    hearth_factory, stalled_model, tmp_path
):
    fake, reply = stalled_model
    hearth = hearth_factory(
        env={
            "HEARTH_BASE_URL": fake.base_url,
            "HEARTH_MODEL": "fake-model",
            "HEARTH_API_KEY": "sk-test",
        }
    )
    hearth.start()
    hearth.wait_ready()
    (window,) = wait_for(lambda: hearth.windows("^Hearth$"), 30, "the window")
    session = hearth.api("POST", "/api/sessions", {"title": "Long one"})
    run = hearth.api("POST", f"/api/sessions/{session['id']}/runs", {"content": "Go on"})
    wait_for(lambda: hearth.api("GET", "/api/desktop/state")["live_runs"], 30, "a live run")
    assert reply.stalled.wait(30), "the model did not start answering"

    # Ctrl+Q asks, with the buttons "Quit" and "Keep running": Alt+K presses "Keep running",
    # and so does Escape; the window and the run go on
    for answer in ("alt+k", "Escape"):
        press(hearth, window, "ctrl+q")
        (dialog,) = wait_for(lambda: hearth.windows("^Quit Hearth"), 30, "the quit question")
        if answer == "alt+k":
            hearth.screenshot(tmp_path / "asking.png")
        press(hearth, dialog, answer)
        wait_for(lambda: not hearth.windows("^Quit Hearth"), 30, "the question to go away")
        # logged once the dialog call returns, which may be after its window is gone
        wait_for(
            lambda n=answer: (
                hearth.log.count("quit while 1 run(s) live: cancelled")
                == ("alt+k", "Escape").index(n) + 1
            ),
            30,
            f"{answer} to keep it running",
        )
        assert hearth.process.poll() is None
        assert hearth.api("GET", "/api/desktop/state")["live_runs"] == [run["run_id"]]

    # asked again, Alt+Q presses "Quit": the run is checkpointed as interrupted
    press(hearth, window, "ctrl+q")
    (dialog,) = wait_for(lambda: hearth.windows("^Quit Hearth"), 30, "the quit question")
    press(hearth, dialog, "alt+q")
    assert hearth.process.wait(30) == 0
    assert "quit while 1 run(s) live: confirmed" in hearth.log
    assert not (hearth.data / "server.json").exists()
    with Store(Paths.resolve(hearth.data)) as store:
        stored = store.get_session(session["id"])
    assert stored["active_run"] is None
    assert [m["role"] for m in stored["messages"]][:1] == ["user"]
    answers = [m for m in stored["messages"] if m["role"] == "assistant"]
    assert answers and answers[-1]["status"] == "interrupted"
