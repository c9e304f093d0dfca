"""Search benchmarks on 20,000 sessions of 20 messages each (issue 12's target).

A common word ("garden") is in 15,000 of the 20,000 sessions (one to three messages each),
a rare one ("lighthouse") in 12; every tenth session has a second version of its last answer,
so search also walks versions that are not shown.

Run: ``python bench/search_bench.py`` (or ``python bench/run.py`` for every benchmark).
The database is built once into bench/.cache/ and reused by later runs.
"""

from __future__ import annotations

import random
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import print_table  # noqa: E402
from bench.store_bench import VOCABULARY, sentence  # noqa: E402
from core.paths import Paths  # noqa: E402
from core.store import Store  # noqa: E402
from core.store.search import match_expression  # noqa: E402

SESSIONS, PER_SESSION = 20_000, 20
COMMON, RARE = "garden", "lighthouse"
CACHE = ROOT / "bench" / ".cache" / "search-20k"


def build(paths: Paths) -> None:
    rng = random.Random(12)
    store = Store(paths)
    with store.db.write() as conn:
        for s in range(SESSIONS):
            sid = f"s{s:05d}"
            stamp = f"2026-{1 + s % 12:02d}-{1 + s % 28:02d}T10:{s % 60:02d}:00.{s:06d}Z"
            texts = [sentence(rng, rng.randint(8, 60)) for _ in range(PER_SESSION)]
            if s % 4:  # 15,000 sessions hold the common word
                for i in rng.sample(range(PER_SESSION), rng.randint(1, 3)):
                    texts[i] += f" The {COMMON} grows."
            if s % 1667 == 5:
                texts[rng.randrange(PER_SESSION)] += f" A {RARE} far away."
            rows = []
            parent = None
            for i, text in enumerate(texts):
                mid = f"{sid}m{i}"
                rows.append((mid, sid, i + 1, "user" if i % 2 == 0 else "assistant", text, parent))
                parent = mid
            leaf = parent
            if s % 10 == 0:  # a second answer beside the last one, not shown
                rows.append(
                    (f"{sid}v", sid, PER_SESSION + 1, "assistant", sentence(rng, 20), rows[-2][0])
                )
            conn.execute(
                "INSERT INTO sessions (id, title, created_at, updated_at, pinned, shown_leaf_id)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (sid, sentence(rng, 4), stamp, stamp, int(s % 500 == 0), leaf),
            )
            conn.executemany(
                "INSERT INTO messages (id, session_id, seq, role, content, parent_id, created_at)"
                f" VALUES (?, ?, ?, ?, ?, ?, '{stamp}')",
                rows,
            )
    store.close()


# The search before issue 12: every hit ranked by bm25 and counted, then the page cut.
_BEFORE = """
WITH hits AS (
    SELECT m.session_id AS sid, bm25(messages_fts) AS score, messages_fts.rowid AS hit,
           'message' AS kind
    FROM messages_fts JOIN messages m ON m.rowid = messages_fts.rowid
    WHERE messages_fts MATCH :q
    UNION ALL
    SELECT s.id, 2 * bm25(sessions_fts), sessions_fts.rowid, 'title'
    FROM sessions_fts JOIN sessions s ON s.rowid = sessions_fts.rowid
    WHERE sessions_fts MATCH :q
),
best AS (SELECT sid, min(score) AS score, hit, kind FROM hits GROUP BY sid)
"""


def search_before(store: Store, q: str) -> None:
    expression = match_expression(q)
    with store.db.read() as conn:
        conn.execute(_BEFORE + "SELECT count(*) FROM best", {"q": expression}).fetchone()
        rows = conn.execute(
            _BEFORE + "SELECT sid, hit, kind FROM best ORDER BY score, sid LIMIT 50",
            {"q": expression},
        ).fetchall()
        for row in rows:
            table = "messages_fts" if row["kind"] == "message" else "sessions_fts"
            conn.execute(
                f"SELECT snippet({table}, 0, '[', ']', '…', 12) FROM {table}"
                f" WHERE {table} MATCH ? AND rowid = ?",
                (expression, row["hit"]),
            ).fetchone()


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def main() -> list[tuple[str, float, str, str, bool]]:
    if not (CACHE / "hearth.sqlite3").exists():
        start = time.perf_counter()
        shutil.rmtree(CACHE, ignore_errors=True)
        build(Paths.resolve(CACHE))
        print(
            f"(built {SESSIONS:,} sessions × {PER_SESSION} messages in "
            f"{time.perf_counter() - start:.1f} s)"
        )
    paths = Paths.resolve(CACHE)
    store = Store(paths)
    rows = []
    store.search_sessions(COMMON, limit=50)  # warm the page cache, as a running app has it
    before = p50(timed(lambda: search_before(store, COMMON), 5))
    rows.append((f"before: first page, '{COMMON}', every hit ranked (p50)", before, "ms", "", True))
    common = p50(timed(lambda: store.search_sessions(COMMON, limit=50), 30))
    rows.append(
        (f"first page, '{COMMON}' in 15,000 of 20,000 (p50)", common, "ms", "≤ 30 ms", common <= 30)
    )
    found = store.search_sessions(COMMON, limit=50)
    rows.append(("  total reported", found["total"], "", "", True))
    second = p50(timed(lambda: store.search_sessions(COMMON, limit=50, offset=50), 30))
    rows.append((f"second page, '{COMMON}' (p50)", second, "ms", "≤ 30 ms", second <= 30))
    rare = p50(timed(lambda: store.search_sessions(RARE, limit=50), 30))
    rows.append((f"first page, '{RARE}' in 12 sessions (p50)", rare, "ms", "≤ 30 ms", rare <= 30))
    rng = random.Random(3)
    terms = rng.sample(VOCABULARY[10:400], 40)
    mixed = p50([timed(lambda t=t: store.search_sessions(t, limit=50), 1)[0] for t in terms])
    rows.append(("first page, 40 vocabulary words (p50)", mixed, "ms", "≤ 30 ms", mixed <= 30))
    two = p50(timed(lambda: store.search_sessions(f"{COMMON} grows", limit=50), 30))
    rows.append((f"first page, '{COMMON} grows' (p50)", two, "ms", "≤ 30 ms", two <= 30))
    store.close()
    return rows


if __name__ == "__main__":
    sys.exit(0 if print_table("Search (20,000 sessions × 20 messages)", main()) else 1)
