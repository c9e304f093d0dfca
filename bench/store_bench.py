"""Store benchmarks on 10,000 sessions of 20 messages each (issue 2's targets).

Run: ``python bench/store_bench.py`` (or ``python bench/run.py`` for every benchmark).
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
from core.paths import Paths  # noqa: E402
from core.store import Store  # noqa: E402

SESSIONS, PER_SESSION = 10_000, 20
CACHE = ROOT / "bench" / ".cache" / "store-10k"
VOCABULARY = [
    f"{a}{b}"
    for a in ("ka", "lo", "mi", "nu", "pe", "ro", "su", "ta", "vi", "zo")
    for b in (
        "bar",
        "cen",
        "dor",
        "fal",
        "gun",
        "hix",
        "jam",
        "kel",
        "lum",
        "mop",
        "nav",
        "pix",
        "quo",
        "ril",
        "sab",
        "tov",
        "urn",
        "vex",
        "wim",
        "yak",
    )
]
VOCABULARY += [f"{w}s" for w in VOCABULARY] + [f"re{w}" for w in VOCABULARY]  # 600 words


def sentence(rng: random.Random, words: int) -> str:
    # Zipf-like: a few words are common, most are rare, as in real text
    picks = rng.choices(VOCABULARY, weights=[1 / (i + 1) for i in range(len(VOCABULARY))], k=words)
    return " ".join(picks).capitalize() + "."


def build(paths: Paths) -> None:
    rng = random.Random(7)
    store = Store(paths)
    with store.db.write() as conn:
        for s in range(SESSIONS):
            sid = f"s{s:05d}"
            stamp = f"2026-{1 + s % 12:02d}-{1 + s % 28:02d}T10:{s % 60:02d}:00.{s:06d}Z"
            conn.execute(
                "INSERT INTO sessions (id, title, created_at, updated_at, pinned)"
                " VALUES (?, ?, ?, ?, ?)",
                (sid, sentence(rng, 4), stamp, stamp, int(s % 500 == 0)),
            )
            conn.executemany(
                "INSERT INTO messages (id, session_id, seq, role, content, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        f"{sid}m{i}",
                        sid,
                        i + 1,
                        "user" if i % 2 == 0 else "assistant",
                        sentence(rng, rng.randint(8, 60)),
                        stamp,
                    )
                    for i in range(PER_SESSION)
                ],
            )
    store.close()


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def session_with(store: Store, count: int) -> str:
    sid = store.create_session(title=f"{count} messages")["id"]
    with store.db.write() as conn:
        conn.executemany(
            "INSERT INTO messages (id, session_id, seq, role, content, created_at)"
            " VALUES (?, ?, ?, 'user', 'some earlier words', '2026-01-01T00:00:00.000000Z')",
            [(f"{sid[:20]}x{i}", sid, i + 1) for i in range(count)],
        )
    return sid


def main() -> list[tuple[str, float, str, str, bool]]:
    if not (CACHE / "hearth.sqlite3").exists():
        start = time.perf_counter()
        shutil.rmtree(CACHE, ignore_errors=True)
        build(Paths.resolve(CACHE))
        print(
            f"(built {SESSIONS:,} sessions × {PER_SESSION} messages in "
            f"{time.perf_counter() - start:.1f} s)"
        )
    work = CACHE.parent / "store-10k-run"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(CACHE, work)
    paths = Paths.resolve(work)
    rows = []

    opens = []
    for _ in range(10):
        start = time.perf_counter()
        store = Store(paths)
        opens.append(time.perf_counter() - start)
        store.close()
    rows.append(("open the database with recover", p50(opens), "ms", "≤ 100 ms", p50(opens) <= 100))

    store = Store(paths)
    page = p50(timed(lambda: store.list_sessions(limit=50), 100))
    rows.append(("first page of 50 sessions (p50)", page, "ms", "≤ 5 ms", page <= 5))

    rng = random.Random(3)
    terms = rng.sample(VOCABULARY[10:400], 40)
    search = p50([timed(lambda t=t: store.list_sessions(q=t, limit=50), 1)[0] for t in terms])
    rows.append(("full-text search, 200k messages (p50)", search, "ms", "≤ 50 ms", search <= 50))

    small, large = session_with(store, 5), session_with(store, 5000)
    small_run = store.begin_run(small, "go")["run"]["id"]
    large_run = store.begin_run(large, "go")["run"]["id"]
    small_t, large_t = [], []
    text = ""
    for i in range(300):  # interleaved, so both see the same machine
        text += f"word{i} "
        small_t += timed(lambda t=text: store.checkpoint(small_run, t), 1)
        large_t += timed(lambda t=text: store.checkpoint(large_run, t), 1)
    ratio = p50(large_t) / p50(small_t)
    rows.append(
        ("checkpoint, 5,000-message session (p50)", p50(large_t), "ms", "≤ 3 ms", p50(large_t) <= 3)
    )
    rows.append(("checkpoint, 5-message session (p50)", p50(small_t), "ms", "", True))
    rows.append(("  ratio 5,000 / 5 messages", ratio, "×", "≤ 1.5×", ratio <= 1.5))
    store.close()
    shutil.rmtree(work, ignore_errors=True)
    return rows


if __name__ == "__main__":
    sys.exit(0 if print_table("Store (10,000 sessions × 20 messages)", main()) else 1)
