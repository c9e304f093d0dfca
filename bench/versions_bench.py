"""Versions benchmarks (issue 12) against a real ``hearth serve``.

One data folder holds two sessions built through the store's API: a linear one of 1,000
messages (500 turns), and a branched one whose shown path is also 1,000 messages long, with 200
of its answers having an older version beside them (200 branches, 1,200 messages in all; the
older versions were written first, so switching to a question follows the newer answers down).
Measured over HTTP:

- switching versions: ``POST /api/sessions/{id}/path`` to an older answer, then back to the newer
  one (which shows the whole 1,000-message path again); p50 of 200 switches, target ≤ 50 ms;
- opening: ``GET /api/sessions/{id}`` of each session, interleaved; the branched one's p50 must
  be at most 1.2 × the linear one's.

Run: ``python bench/versions_bench.py`` (or ``python bench/run.py``). ``main()`` returns rows
``(measure, value, unit, target, passed)``.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import print_table  # noqa: E402
from bench.server_bench import Served  # noqa: E402
from core.store import Store  # noqa: E402

TURNS = 500  # 1,000 messages on the shown path
BRANCHES = 200
SWITCHES = 200
OPENS = 100
SWITCH_TARGET_MS = 50.0
OPEN_RATIO = 1.2

WORDS = (
    "the quick brown fox jumps over a lazy dog while hearth keeps every answer safe and sound "
    "versions branch like a tree of thoughts written by a patient model for its careful user"
).split()


def text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def build(data: str) -> tuple[str, str, list[tuple[str, str]]]:
    """(linear session id, branched session id, [(older answer id, newer answer id)])."""
    rng = random.Random(12)
    branch_turns = set(rng.sample(range(TURNS), BRANCHES))
    pairs = []
    with Store(data) as store:
        linear = store.create_session(title="Linear")["id"]
        branched = store.create_session(title="Branched")["id"]
        for turn in range(TURNS):
            question, answer = text(rng, 30), text(rng, 90)
            run = store.begin_run(linear, question)["run"]["id"]
            store.finish_run(run, "completed", answer)
            run = store.begin_run(branched, question)["run"]["id"]
            if turn in branch_turns:
                store.finish_run(run, "completed", "An older version: " + answer)
                older_id = _shown_leaf(store, branched)
                run = store.begin_run(branched, regenerate=older_id)["run"]["id"]
                store.finish_run(run, "completed", answer)
                pairs.append((older_id, _shown_leaf(store, branched)))
            else:
                store.finish_run(run, "completed", answer)
    return linear, branched, pairs


def _shown_leaf(store: Store, session_id: str) -> str:
    with store.db.read() as conn:
        return conn.execute(
            "SELECT shown_leaf_id FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()[0]


def store_reads(data: str, linear: str) -> tuple[float, float]:
    """p50 ms of reading the linear session in the store: as before versions (every message by
    seq) and as now (the shown path with versions), for information."""
    from core.store import records

    before, now = [], []
    with Store(data) as store:
        for _ in range(OPENS):
            start = time.perf_counter()
            with store.db.read() as conn:
                rows = conn.execute(
                    "SELECT * FROM messages WHERE session_id = ? ORDER BY seq", (linear,)
                )
                [records.message_row(r) for r in rows]
            before.append(time.perf_counter() - start)
            start = time.perf_counter()
            store.get_session(linear)
            now.append(time.perf_counter() - start)
    return statistics.median(before) * 1000, statistics.median(now) * 1000


def measure(served: Served, linear: str, branched: str, pairs: list[tuple[str, str]]) -> dict:
    client = served.client
    for sid in (linear, branched):  # warm the page cache and the connection
        assert client.get(f"/api/sessions/{sid}").status_code == 200
    switches, shown_lengths = [], []
    for older, newer in pairs[: SWITCHES // 2]:
        for target in (older, newer):
            start = time.perf_counter()
            answer = client.post(f"/api/sessions/{branched}/path", json={"message_id": target})
            switches.append(time.perf_counter() - start)
            assert answer.status_code == 200, answer.text
            shown_lengths.append(len(answer.json()["messages"]))
    assert shown_lengths[1] == 2 * TURNS
    opens: dict[str, list[float]] = {linear: [], branched: []}
    for _ in range(OPENS):
        for sid in (linear, branched):
            start = time.perf_counter()
            answer = client.get(f"/api/sessions/{sid}")
            opens[sid].append(time.perf_counter() - start)
            assert answer.status_code == 200 and len(answer.json()["messages"]) == 2 * TURNS
    return {
        "switch_p50": statistics.median(switches) * 1000,
        "switch_p95": sorted(switches)[int(len(switches) * 0.95)] * 1000,
        "shown_mean": statistics.mean(shown_lengths),
        "open_linear": statistics.median(opens[linear]) * 1000,
        "open_branched": statistics.median(opens[branched]) * 1000,
    }


def main() -> list[tuple[str, float, str, str, bool]]:
    with tempfile.TemporaryDirectory() as data:
        started = time.perf_counter()
        linear, branched, pairs = build(data)
        built = time.perf_counter() - started
        served = Served(data)
        try:
            figures = measure(served, linear, branched, pairs)
        finally:
            served.stop()
        read_before, read_now = store_reads(data, linear)
    ratio = figures["open_branched"] / figures["open_linear"]
    return [
        ("building both sessions through the store (s)", built, "s", "", True),
        (
            f"switch versions, 1,200 msgs / {BRANCHES} branches, p50",
            figures["switch_p50"],
            "ms",
            f"≤ {SWITCH_TARGET_MS:.0f} ms",
            figures["switch_p50"] <= SWITCH_TARGET_MS,
        ),
        ("switch versions, p95", figures["switch_p95"], "ms", "", True),
        ("messages shown after a switch (mean)", figures["shown_mean"], "msgs", "", True),
        ("open the linear 1,000-message session, p50", figures["open_linear"], "ms", "", True),
        ("open the branched one (1,000 shown), p50", figures["open_branched"], "ms", "", True),
        ("store: read linear 1,000 by seq (before versions)", read_before, "ms", "", True),
        ("store: read linear 1,000 as the shown path, p50", read_now, "ms", "", True),
        (
            "opening branched / linear",
            ratio,
            "×",
            f"≤ {OPEN_RATIO}",
            ratio <= OPEN_RATIO,
        ),
    ]


if __name__ == "__main__":
    sys.exit(0 if print_table("Versions (hearth serve)", main()) else 1)
