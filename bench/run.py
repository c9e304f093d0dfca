"""Run every Hearth benchmark and print one table per area: ``python bench/run.py``.

Exits non-zero if a figure misses its target (the figures are printed either way).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import print_table  # noqa: E402

BENCHMARKS = [
    ("Store (10,000 sessions × 20 messages)", "bench.store_bench"),
    ("Search (20,000 sessions × 20 messages)", "bench.search_bench"),
    ("Server (hearth serve)", "bench.server_bench"),
    ("Import (2,000 ChatGPT conversations into hearth serve)", "bench.import_bench"),
    ("Attachments (a 20 MB PDF into hearth serve)", "bench.attachments_bench"),
    ("Versions (1,000 shown messages, 200 branches, hearth serve)", "bench.versions_bench"),
    ("MCP servers (lazy start, call overhead)", "bench.mcp_bench"),
    (
        "Context (5,000-message session; token estimate vs SmolLM2's tokenizer)",
        "bench.context_bench",
    ),
    ("Endurance (one hearth serve, a long day)", "bench.endurance_bench"),
    ("Soak (SIGKILL at random moments)", "bench.soak_bench"),
    ("Built-in model (SmolLM2-135M in the runtime's child process)", "bench.local_model_bench"),
    ("UI (Chromium)", "bench.ui_bench"),
    ("Desktop (window on Xvfb, packaged bundle)", "bench.desktop_bench"),
]


def main() -> int:
    ok = True
    for title, module in BENCHMARKS:
        rows = importlib.import_module(module).main()
        ok = print_table(title, rows) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
