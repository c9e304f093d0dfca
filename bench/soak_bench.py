"""A soak of SIGKILLs: ``hearth serve`` killed at random moments of a turn, then started again.

One data dir, one session that grows round after round. Each round starts the server, streams
a turn (some rounds call ``list_directory`` first), reads its events as a client would, with
the time each arrived, and SIGKILLs the server at a random moment before the answer can end.
After each kill the database must pass ``PRAGMA integrity_check``; after each restart
CONTRACT.md's durability promise is checked through the HTTP API: the user's message is kept,
every tool call and result the client saw complete more than a second before the kill is
kept, the text the client saw until a second before the kill starts the stored interrupted
answer, ``active_run`` is null, earlier turns and two bystander sessions are unchanged. The
next round's turn sends the grown history to the model, which must be a valid transcript.

The client sees text slightly after the server produced it, so measuring "a second before the
kill" at the client is conservative.

Run: ``python bench/soak_bench.py [kills]`` (default 100), or ``python bench/run.py``. The seed
comes from ``HEARTH_SOAK_SEED`` (random if unset) and is printed. The suite runs a short
version (tests/server/test_soak.py).
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.endurance_bench import one_turn  # noqa: E402
from bench.report import Row, print_table  # noqa: E402
from core.paths import Paths  # noqa: E402
from tests.fakes import FakeOpenAIServer, Reply  # noqa: E402
from tests.server.conftest import HearthServer as Server  # noqa: E402
from tests.server.conftest import SSEEvent, parse_sse  # noqa: E402

# What sessions and messages hold, as docs/api.md lists them; fields derived on the way out
# (say, a message's place among versions) are not compared.
SESSION_FIELDS = "id title created_at updated_at pinned model workspace system_prompt".split()
MESSAGE_FIELDS = (
    "id role content status created_at tool_calls tool_call_id name reasoning error usage run_id"
).split()
GRACE = 1.0  # CONTRACT.md: what is older than a second at the kill is kept
INTRO_DELAY = 0.05  # seconds between the frames of the short text before a tool call


@dataclass
class Turn:
    """What the fake model will answer in one round, and the least time it takes to."""

    prompt: str
    replies: list[Reply]

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.replies)

    @property
    def least_seconds(self) -> float:
        # A reply sends at least ``chunks`` text frames after its first, each after ``delay``.
        return sum(r.delay * r.chunks for r in self.replies)


@dataclass
class Round:
    """One kill: what the client saw, when, and what the server kept."""

    number: int
    turn: Turn
    run_id: str
    events: list[SSEEvent]
    killed_at: float
    kill_after: float  # seconds from the run's start to the kill
    violations: list[str] = field(default_factory=list)
    lost_s: float = 0.0  # streaming between the last text kept and the kill
    owed_text: int = 0  # characters seen a second before the kill, which must be kept
    owed_tools: int = 0  # tool results seen a second before the kill, which must be kept


def seed_from_env() -> int:
    """``HEARTH_SOAK_SEED`` if set, else a fresh random seed."""
    raw = os.environ.get("HEARTH_SOAK_SEED", "").strip()
    return int(raw) if raw else random.SystemRandom().randrange(1 << 31)


def plan_turn(rng: random.Random, number: int, stream_s: float) -> Turn:
    """A turn that streams for about ``stream_s`` s, after 0 to 2 steps of tool calls."""
    replies = []
    for step in range(rng.choice((0, 0, 1, 2))):
        calls = [
            {"id": f"call_{number}_{step}_{k}", "name": "list_directory", "arguments": {}}
            for k in range(rng.choice((1, 2)))
        ]
        intro = f"Round {number} looks, step {step}. "
        replies.append(Reply(text=intro, chunks=4, delay=INTRO_DELAY, tool_calls=calls))
    words = max(10, int(stream_s * 40))
    answer = "".join(f"r{number}w{i:04d} " for i in range(words))
    chunks = max(10, int(stream_s * 30))
    replies.append(Reply(text=answer, chunks=chunks, delay=stream_s / chunks))
    return Turn(prompt=f"Round {number}: count for me.", replies=replies)


def read_events(server: Server, run_id: str, into: list[SSEEvent], ended: threading.Event) -> None:
    """Append the run's events as they arrive until the stream ends or the server dies."""
    try:
        with server.client.stream("GET", f"/api/runs/{run_id}/events") as answer:
            for event in parse_sse(answer.iter_lines()):
                into.append(event)
                if event.type in ("run.completed", "run.failed", "run.cancelled"):
                    break
    except Exception:  # noqa: BLE001 - a killed server cuts the stream however it likes
        pass
    finally:
        ended.set()


def kill_during(
    server: Server, session_id: str, turn: Turn, number: int, rng: random.Random
) -> Round:
    """Start the turn, read its events in a thread, SIGKILL the server at a random moment."""
    started = server.client.post(f"/api/sessions/{session_id}/runs", json={"content": turn.prompt})
    started.raise_for_status()
    run_id = started.json()["run_id"]
    begun = time.monotonic()
    events: list[SSEEvent] = []
    ended = threading.Event()
    reader = threading.Thread(target=read_events, args=(server, run_id, events, ended))
    reader.start()
    # The fake cannot finish sooner than least_seconds after the run began, so any moment
    # before that lands while the run is live.
    kill_after = rng.uniform(0.0, turn.least_seconds * 0.97)
    ended.wait(max(0.0, begun + kill_after - time.monotonic()))
    killed_at = time.monotonic()
    server.process.kill()
    server.process.wait(10)
    reader.join(10)
    return Round(number, turn, run_id, events, killed_at, killed_at - begun)


def integrity(data_dir: str) -> str:
    """``PRAGMA integrity_check`` of the database, opened read-only (no server running)."""
    path = Paths.resolve(data_dir).database
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def transcript_problems(messages: list[dict[str, Any]]) -> list[str]:
    """What a model API would reject in a Chat Completions history."""
    problems: list[str] = []
    seen: set[str] = set()
    waiting: set[str] = set()
    for index, message in enumerate(messages):
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in waiting:
                problems.append(f"message {index}: a tool result for {call_id!r} with no call")
            waiting.discard(call_id)
            continue
        if waiting:
            problems.append(f"message {index}: calls {sorted(waiting)} have no result")
            waiting = set()
        for call in message.get("tool_calls") or []:
            if call["id"] in seen:
                problems.append(f"message {index}: tool call id {call['id']!r} used twice")
            seen.add(call["id"])
            waiting.add(call["id"])
            try:
                json.loads(call["function"]["arguments"])
            except ValueError:
                problems.append(f"message {index}: arguments of {call['id']!r} are not JSON")
    if waiting:
        problems.append(f"the history ends with calls {sorted(waiting)} that have no result")
    return problems


def held(message: dict[str, Any]) -> dict[str, Any]:
    """What a message holds (docs/api.md), without what code derives from it on the way out."""
    return {k: message[k] for k in MESSAGE_FIELDS if k in message}


def snapshot(server: Server, session_id: str) -> Any:
    """A session as the API shows it and as its JSON export holds it."""
    shown = server.client.get(f"/api/sessions/{session_id}")
    exported = server.client.get(f"/api/sessions/{session_id}/export?format=json")
    shown.raise_for_status()
    exported.raise_for_status()
    views = [shown.json(), {**exported.json()["session"], "messages": exported.json()["messages"]}]
    return [
        {
            **{k: view[k] for k in SESSION_FIELDS if k in view},
            "messages": [held(m) for m in view["messages"]],
        }
        for view in views
    ]


def difference(before: Any, after: Any, where: str = "") -> str:
    """Where ``after`` first differs from ``before`` ("" if nowhere)."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(before.keys() | after.keys()):
            found = difference(before.get(key), after.get(key), f"{where}.{key}")
            if found:
                return found
        return ""
    if isinstance(before, (list, tuple)) and isinstance(after, (list, tuple)):
        if len(before) != len(after):
            return f"{where}: {len(before)} items, now {len(after)}"
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            found = difference(old, new, f"{where}[{index}]")
            if found:
                return found
        return ""
    return "" if before == after else f"{where}: {str(before)[:40]!r} -> {str(after)[:40]!r}"


def received_before(events: list[SSEEvent], moment: float) -> list[SSEEvent]:
    return [e for e in events if e.received <= moment]


def streamed_text(events: list[SSEEvent]) -> str:
    return "".join(e.data["text"] for e in events if e.type == "text.delta")


def seconds_lost(done: Round, kept: str) -> float:
    """From the first text the client saw that was not kept, to the kill (0 if all was kept)."""
    length = 0
    for event in done.events:
        if event.type != "text.delta":
            continue
        length += len(event.data["text"])
        if length > len(kept):
            return max(0.0, done.killed_at - event.received)
    return 0.0


def check(
    server: Server, session_id: str, done: Round, history: list[dict[str, Any]], grace: float
) -> list[dict[str, Any]]:
    """Check the restarted server against CONTRACT.md for ``done``; returns the messages."""
    say = done.violations.append
    stored = server.client.get(f"/api/sessions/{session_id}").json()
    messages = stored["messages"]
    if stored["active_run"] is not None:
        say(f"active_run is {stored['active_run']}")
    changed = difference(history, [held(m) for m in messages[: len(history)]])
    if changed:
        say(f"an earlier turn changed: {changed}")
    turn = messages[len(history) :]
    if not turn or turn[0]["role"] != "user" or turn[0]["content"] != done.turn.prompt:
        say("the user's message is missing")
        return [held(m) for m in messages]
    answers = [m for m in turn if m["role"] == "assistant"]
    if not answers or turn[-1]["role"] != "assistant" or turn[-1]["status"] != "interrupted":
        say(f"the turn does not end with an interrupted answer: {turn[-1:]}")
    run = server.client.get(f"/api/runs/{done.run_id}").json()
    if run.get("status") != "interrupted":
        say(f"the run is {run.get('status')}, not interrupted")

    kept = "".join(m["content"] or "" for m in answers)
    if not done.turn.text.startswith(kept):
        say(f"the kept text is not what the model said: {kept[-60:]!r}")
    old_enough = received_before(done.events, done.killed_at - grace)
    must_keep = streamed_text(old_enough)
    done.owed_text = len(must_keep)
    if not kept.startswith(must_keep):
        say(f"text streamed a second before the kill was lost ({len(kept)} < {len(must_keep)})")
    done.lost_s = seconds_lost(done, kept)

    calls = {c["id"]: c for m in answers for c in m.get("tool_calls") or []}
    results = {m["tool_call_id"]: m for m in turn if m["role"] == "tool"}
    for event in old_enough:
        if event.type != "tool.completed":
            continue
        call_id = event.data["call_id"]
        done.owed_tools += 1
        if call_id not in calls:
            say(f"tool call {call_id} completed a second before the kill was lost")
        elif calls[call_id]["name"] != "list_directory":
            say(f"tool call {call_id} is kept as {calls[call_id]['name']}")
        result = results.get(call_id)
        if result is None:
            say(f"the result of {call_id}, complete a second before the kill, was lost")
        elif result["content"] != event.data["output"]:
            say(f"the result of {call_id} changed: {result['content'][:60]!r}")
    return [held(m) for m in messages]


@dataclass
class Sessions:
    soaked: str  # where every round's turn is killed
    warm_up: str  # a short turn here first, so the soaked turn streams at once
    bystanders: list[str]  # never touched after the setup
    before: list[Any]  # the bystanders' snapshots after the setup


def setup(data_dir: str, workspace: Path, failed: list[str]) -> Sessions:
    """The sessions of the soak; one bystander answered plainly, one after a tool call."""
    with FakeOpenAIServer() as fake:
        server = start(data_dir, fake, failed)
        try:

            def new(title: str) -> str:
                body = {"title": title, "workspace": str(workspace)}
                return server.client.post("/api/sessions", json=body).json()["id"]

            sessions = Sessions(new("soaked"), new("warm-up"), [], [])
            for with_tool in (False, True):
                sessions.bystanders.append(new("bystander"))
                last = one_turn(server, fake, sessions.bystanders[-1], with_tool)
                if last != "run.completed":
                    raise RuntimeError(f"a bystander's turn ended {last}")
            sessions.before = [snapshot(server, b) for b in sessions.bystanders]
            return sessions
        finally:
            stop(server)


def start(data: str, fake: FakeOpenAIServer, failed: list[str]) -> Server:
    """``hearth serve`` on ``data``; a start that fails (or takes over 15 s on a loaded
    machine) is noted in ``failed`` and tried again, twice at most."""
    for _ in range(3):
        try:
            server = Server(Path(data), fake)
        except RuntimeError as exc:
            failed.append(str(exc)[-300:])
            continue
        server.client.timeout = 60.0  # a loaded machine may take seconds to answer
        return server
    raise RuntimeError(f"hearth serve did not start three times: {failed[-3:]}")


def stop(server: Server) -> None:
    """End the server (if a kill has not) and let go of its pipes and client."""
    server.close()
    server.client.close()


def final_turn(server: Server, fake: FakeOpenAIServer, session_id: str) -> list[str]:
    """After the last kill the session still answers, with a tool call; every history it sends
    must be valid."""
    last = one_turn(server, fake, session_id, with_tool=True)
    problems = [] if last == "run.completed" else [f"the final turn ended {last}"]
    for request in fake.model_requests:
        problems += transcript_problems(request.json["messages"])
    return problems


@dataclass
class Soak:
    seed: int
    rounds: list[Round]
    final_problems: list[str]
    seconds: float
    failed_starts: list[str]

    @property
    def violations(self) -> list[str]:
        found = [f"round {r.number}: {v}" for r in self.rounds for v in r.violations]
        return found + [f"after the last kill: {p}" for p in self.final_problems]


def soak(kills: int, data_dir: str, seed: int, stream_s: float = 3.0, grace: float = GRACE) -> Soak:
    """``kills`` rounds of turn, SIGKILL, restart, check; then one turn that must complete."""
    rng = random.Random(seed)
    workspace = Path(data_dir) / "workspace"
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "notes.txt").write_text("notes\n")
    (workspace / "plan.md").write_text("# plan\n")
    data = str(Path(data_dir) / "data")
    failed_starts: list[str] = []
    sessions = setup(data, workspace, failed_starts)
    rounds: list[Round] = []
    history: list[dict[str, Any]] = []
    final: list[str] = []
    started = time.perf_counter()
    for number in range(kills + 1):
        with FakeOpenAIServer() as fake:
            server = start(data, fake, failed_starts)
            try:
                if rounds:
                    done = rounds[-1]
                    history = check(server, sessions.soaked, done, history, grace)
                    for bystander, before in zip(sessions.bystanders, sessions.before, strict=True):
                        change = difference(before, snapshot(server, bystander))
                        if change:
                            done.violations.append(f"bystander {bystander} changed: {change}")
                if number == kills:
                    final = final_turn(server, fake, sessions.soaked)
                    break
                if one_turn(server, fake, sessions.warm_up, with_tool=False) != "run.completed":
                    raise RuntimeError("the warm-up turn did not complete")
                turn = plan_turn(rng, number, stream_s)
                for reply in turn.replies:
                    fake.push(reply)
                done = kill_during(server, sessions.soaked, turn, number, rng)
            finally:
                stop(server)
            rounds.append(done)
            for request in fake.model_requests:
                sent = request.json["messages"]
                if sent[-1].get("content") == turn.prompt:  # the soaked turn's first request
                    done.violations += [f"history sent: {p}" for p in transcript_problems(sent)]
            verdict = integrity(data)
            if verdict != "ok":
                done.violations.append(f"integrity_check after the kill: {verdict}")
    verdict = integrity(data)
    if verdict != "ok":
        final.append(f"integrity_check at the end: {verdict}")
    return Soak(seed, rounds, final, time.perf_counter() - started, failed_starts)


def main(kills: int = 100) -> list[Row]:
    seed = seed_from_env()
    print(f"soak seed {seed} (HEARTH_SOAK_SEED={seed} repeats it)")
    with tempfile.TemporaryDirectory() as folder:
        result = soak(kills, folder, seed)
    for violation in result.violations:
        print(f"  VIOLATION (seed {seed}) {violation}")
    for failure in result.failed_starts:
        print(f"  a start failed and was retried: {failure}")
    survived = sum(not r.violations for r in result.rounds)
    tool_rounds = sum(len(r.turn.replies) > 1 for r in result.rounds)
    owing_text = sum(r.owed_text > 0 for r in result.rounds)
    owed_tools = sum(r.owed_tools for r in result.rounds)
    return [
        (f"kills survived / {kills}", survived, "kills", f"= {kills}", survived == kills),
        ("durability violations", len(result.violations), "", "0", not result.violations),
        (
            "starts that failed (then retried)",
            len(result.failed_starts),
            "",
            "0",
            not result.failed_starts,
        ),
        ("rounds with tool calls", tool_rounds, "rounds", "", True),
        ("kills with text seen over 1 s before (so owed)", owing_text, "kills", "", True),
        ("tool results seen over 1 s before a kill (owed)", owed_tools, "results", "", True),
        ("seconds per round (start, turn, kill, check)", result.seconds / kills, "s", "", True),
        (
            "longest text lost (its streaming before the kill)",
            max((r.lost_s for r in result.rounds), default=0.0),
            "s",
            f"≤ {GRACE:.0f} s",
            all(r.lost_s <= GRACE for r in result.rounds),
        ),
        (
            "median text lost",
            sorted(r.lost_s for r in result.rounds)[len(result.rounds) // 2],
            "s",
            "",
            True,
        ),
    ]


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    sys.exit(0 if print_table("Soak (SIGKILL at random moments)", main(count)) else 1)
