"""Context: the cost of counting and planning a request for a long session, and how far the
tokenizer-free estimate is from a real tokenizer's count.

The planning figure is ``plan_request`` (cut at the last summary, model_history, counting,
the threshold check and the cover point) on a 5,000-message session as the store returns it
(fresh strings each time, as for every turn). The reference counts come from the built-in
model's own tokenizer (SmolLM2's, through the runtime's ``/tokenize``): what its provider
would report as usage. "Calibrated" applies the factor Hearth learns from reported usage, as
learned from the other half of the samples.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.agent.context import tokens  # noqa: E402
from core.agent.context.plan import plan_request  # noqa: E402
from core.agent.tools import default_tools, tool_schemas  # noqa: E402
from core.store import Store  # noqa: E402

MESSAGES = 5_000
ROUNDS = 30
PROSE = "We walked along the river until the light went, talking about the harvest. "
OUTPUT = "drwxr-xr-x 2 user user 4096 Nov 30 12:00 notes\n-rw-r--r-- 1 user user 812 report.md\n"


def long_session(store: Store) -> str:
    session = store.create_session(title="long")
    with store.db.write() as conn:
        for n in range(MESSAGES // 4):
            for message in (
                {"role": "user", "content": f"Question {n}: " + PROSE * 3},
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [{"id": f"c{n}", "name": "list_directory", "arguments": "{}"}],
                },
                {
                    "role": "tool",
                    "tool_call_id": f"c{n}",
                    "name": "list_directory",
                    "content": OUTPUT * 20,
                },
                {"role": "assistant", "content": f"Answer {n}: " + PROSE * 4},
            ):
                from core.store import records
                from core.store.sessions import insert_message

                insert_message(conn, session["id"], records.message(message))
    return session["id"]


def planning_rows() -> list:
    schemas = tool_schemas(default_tools())
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder)) as store:
        session_id = long_session(store)
        reads, plans, builds, walls = [], [], [], []
        for _ in range(ROUNDS):
            begun = time.perf_counter()
            history = store.get_session(session_id)["messages"]
            reads.append(time.perf_counter() - begun)
            # CPU time of this thread: on a shared machine, time spent preempted is not ours.
            wall, cpu = time.perf_counter(), time.thread_time()
            plan = plan_request(
                history, system="You are Hearth.", tools=schemas, window=128_000, build=False
            )
            plans.append(time.thread_time() - cpu)
            walls.append(time.perf_counter() - wall)
            cpu = time.thread_time()
            plan_request(history, system="You are Hearth.", tools=schemas, window=128_000)
            builds.append(time.thread_time() - cpu)
    p50 = statistics.median(plans) * 1000
    return [
        ("count and plan a request, 5,000 messages (p50, CPU)", p50, "ms", "≤ 5 ms", p50 <= 5),
        ("  its p90", sorted(plans)[int(ROUNDS * 0.9)] * 1000, "ms", "", True),
        (
            "  wall clock (p50; the machine's load included)",
            statistics.median(walls) * 1000,
            "ms",
            "",
            True,
        ),
        (
            "  plan and build the messages to send (p50)",
            statistics.median(builds) * 1000,
            "ms",
            "",
            True,
        ),
        (
            "  reading that session from the store (p50)",
            statistics.median(reads) * 1000,
            "ms",
            "",
            True,
        ),
        (
            "  compaction asked for at 128k window",
            float(plan.compact_covers is not None),
            "yes",
            "",
            True,
        ),
    ]


def samples() -> dict[str, list[str]]:
    prose = [p for f in sorted((ROOT / "docs").glob("*.md")) for p in _paragraphs(f)]
    prose = [p for p in prose if not p.lstrip().startswith(("|", "`", "-", "#"))]
    code = [f.read_text()[:6000] for f in sorted((ROOT / "core").rglob("*.py"))[:60]]
    data = [json.dumps(s) for s in tool_schemas(default_tools())]
    data += [
        json.dumps(
            {
                "id": f"m{n}",
                "role": "assistant",
                "usage": {"input_tokens": n * 37},
                "tool_calls": [
                    {
                        "id": f"call_{n}",
                        "name": "read_file",
                        "arguments": json.dumps({"path": f"src/module_{n}.py"}),
                    }
                ],
            },
            indent=2,
        )
        for n in range(40)
    ]
    return {"English prose": prose[:80], "code (Python)": code, "JSON": data}


def _paragraphs(path: Path) -> list[str]:
    return [p for p in path.read_text().split("\n\n") if len(p) > 300]


def estimate_rows() -> list:
    from core.agent.local.models import builtin_model_path
    from core.agent.local.runtime import Runtime

    try:
        model = builtin_model_path()
    except Exception as exc:  # no runtime or model here: say so, no figure
        return [(f"estimate error: skipped ({exc})", 0.0, "", "", True)]
    runtime = Runtime(idle_seconds=30)
    rows = []
    try:
        with runtime.using(model) as endpoint:
            root = endpoint.base_url.removesuffix("/v1")

            def count(text: str) -> int:
                request = urllib.request.Request(
                    f"{root}/tokenize",
                    data=json.dumps({"content": text}).encode(),
                    headers={
                        "Content-Type": "application/json",
                        "Authorization": f"Bearer {endpoint.api_key}",
                    },
                )
                with urllib.request.urlopen(request, timeout=30) as answer:
                    return len(json.load(answer)["tokens"])

            measured = {
                kind: [(tokens.estimate_tokens(t), count(t)) for t in texts]
                for kind, texts in samples().items()
            }
    finally:
        runtime.close()
    pairs = [p for kind in measured.values() for p in kind]
    learned = sum(real for _, real in pairs[::2]) / sum(est for est, _ in pairs[::2])
    for kind, found in measured.items():
        raw = statistics.mean(abs(e - r) / r for e, r in found) * 100
        held = found[1::2] if len(found) > 1 else found
        calibrated = statistics.mean(abs(e * learned - r) / r for e, r in held) * 100
        bias = (sum(e for e, _ in found) / sum(r for _, r in found) - 1) * 100
        rows.append((f"estimate error, {kind} ({len(found)} texts)", raw, "%", "≤ 25 %", raw <= 25))
        rows.append(("  total bias (estimate / tokenizer - 1)", bias, "%", "", True))
        rows.append((f"  after calibration (factor {learned:.2f})", calibrated, "%", "", True))
    return rows


def main() -> list:
    return planning_rows() + estimate_rows()


if __name__ == "__main__":
    from bench.report import print_table

    print_table("Context (5,000-message session; token estimate vs SmolLM2's tokenizer)", main())
