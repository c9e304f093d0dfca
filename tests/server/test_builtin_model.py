"""The built-in model through a real ``hearth serve`` with no provider configured: a run
answers from the real SmolLM2 in a real child process, which starts on first use, stops when
idle, goes with Hearth (SIGTERM and SIGKILL), and whose death mid-answer is a sentence, not
the end of the chat."""

from __future__ import annotations

import signal

import psutil
import pytest

from tests.server.conftest import HearthServer, sse_events, text_of

# Loading the model takes a second on an idle machine and much longer on a busy one.
RUN_TIMEOUT = 240.0
GONE_TIMEOUT = 20.0


def runtime_children(server: HearthServer) -> list[psutil.Process]:
    try:
        children = psutil.Process(server.process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            if "core.agent.local.child" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def start(tmp_path, **env: str) -> HearthServer:
    return HearthServer(
        tmp_path / "data",
        None,  # no HEARTH_BASE_URL: nothing configured
        env={"HEARTH_LOCAL_MAX_TOKENS": "6", **env},
    )


def answer(server: HearthServer, session_id: str, content: str = "Say hello.") -> list:
    run_id = server.start_run(session_id, content)
    events = server.events(run_id, timeout=RUN_TIMEOUT)
    return events


def gone(process: psutil.Process) -> bool:
    _, alive = psutil.wait_procs([process], timeout=GONE_TIMEOUT)
    return not alive


def test_a_new_session_answers_offline_and_the_runtime_stops_when_idle_and_with_hearth(
    tmp_path,
):
    server = start(tmp_path, HEARTH_LOCAL_IDLE_SECONDS="3")
    try:
        assert runtime_children(server) == []  # nothing started before it is used
        providers = server.client.get("/api/providers")
        if providers.status_code == 200:
            assert [p["id"] for p in providers.json()["providers"]] == ["builtin"]
        session = server.new_session()

        events = answer(server, session["id"])

        assert events[-1].type == "run.completed", events[-1]
        assert text_of(events).strip()
        stored = server.session(session["id"])["messages"]
        assert stored[-1]["role"] == "assistant" and stored[-1]["content"].strip()
        (child,) = runtime_children(server)

        assert gone(child), "the idle runtime was not stopped"  # idle after 3 s

        events = answer(server, session["id"], "And again.")
        assert events[-1].type == "run.completed", events[-1]
        (second,) = runtime_children(server)
        assert second.pid != child.pid

        assert server.stop(signal.SIGTERM) == 0
        assert gone(second), "the runtime outlived a stopped Hearth"
    finally:
        server.close()


def test_a_runtime_killed_mid_answer_ends_the_turn_with_a_sentence_and_the_next_turn_works(
    tmp_path,
):
    server = start(tmp_path, HEARTH_LOCAL_MAX_TOKENS="400")
    try:
        session = server.new_session()
        run_id = server.start_run(session["id"], "Write a long story about a lighthouse.")
        seen = []
        for event in sse_events(server.client, run_id, timeout=RUN_TIMEOUT):
            seen.append(event)
            if event.type == "text.delta" and len(seen) > 3:
                (child,) = runtime_children(server)
                child.kill()
                break
        rest = server.events(run_id, after=seen[-1].id, timeout=RUN_TIMEOUT)
        assert rest[-1].type == "run.failed", rest[-1]
        assert "built-in model stopped" in str(rest[-1].data["error"])
        stored = server.session(session["id"])["messages"][-1]
        assert stored["role"] == "assistant" and stored["content"].strip()  # the text is kept

        events = answer(server, session["id"], "Say hello.")
        assert events[-1].type == "run.completed", events[-1]
        assert text_of(events).strip()
        (child,) = runtime_children(server)

        server.process.kill()  # SIGKILL: Hearth gets no chance to stop it
        server.process.wait(10)
        assert gone(child), "the runtime outlived a SIGKILLed Hearth"
    finally:
        server.close()


def test_two_chats_started_together_on_the_builtin_model_both_complete(tmp_path):
    server = start(tmp_path, HEARTH_LOCAL_MAX_TOKENS="40")
    try:
        sessions = [server.new_session() for _ in range(2)]
        run_ids = [server.start_run(s["id"], "Tell me about lighthouses.") for s in sessions]
        for run_id in run_ids:
            events = server.events(run_id, timeout=RUN_TIMEOUT)
            assert events[-1].type == "run.completed", events[-1]
            assert text_of(events).strip()
        (child,) = runtime_children(server)  # one runtime served both, and still runs
        assert child.is_running()
        assert server.stop(signal.SIGTERM) == 0
        assert gone(child), "the runtime outlived a stopped Hearth"
    finally:
        server.close()


@pytest.fixture(autouse=True)
def _no_runtime_left_behind():
    before = {p.pid for p in psutil.process_iter()}
    yield
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if process.pid not in before and "core.agent.local.child" in cmdline:
            process.kill()
            pytest.fail(f"a runtime was left behind: {process.pid}")
