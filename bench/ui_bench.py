"""UI benchmarks in Chromium (Playwright) against a real ``hearth serve`` (issue 5's targets).

Run: ``python bench/ui_bench.py`` (or via bench/run.py). Needs /usr/bin/chromium and the
``playwright`` package. Figures are medians of a few runs, measured inside the page.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes import FakeOpenAIServer  # noqa: E402
from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS, Served, fake_env  # noqa: E402

STORE_CACHE = ROOT / "bench" / ".cache" / "store-10k"

CODE = (
    "```python\ndef handler(event):\n    total = sum(x * 2 for x in event['items'])\n"
    "    return {'total': total}\n```"
)


def long_session_export(messages: int = 1000) -> dict:
    """A session of ``messages`` messages: questions, answers with code, tool calls and results."""
    out = []
    i = 0
    while len(out) < messages:
        out.append({"role": "user", "content": f"Question {i}: how do I sum the items twice?"})
        if i % 3 == 0:
            call = f"call_{i}"
            out.append(
                {
                    "role": "assistant",
                    "content": "Let me look at the file first.",
                    "tool_calls": [
                        {
                            "id": call,
                            "name": "read_file",
                            "arguments": json.dumps({"path": f"src/m{i}.py"}),
                        }
                    ],
                }
            )
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": call,
                    "name": "read_file",
                    "content": "def handler(event):\n    pass\n" * 5,
                }
            )
        out.append(
            {
                "role": "assistant",
                "content": f"Answer {i}: use a generator.\n\n{CODE}\n\n"
                "| a | b |\n|---|---|\n| 1 | 2 |",
                "usage": {"input_tokens": 120, "output_tokens": 60},
            }
        )
        i += 1
    return out[:messages]


SHOW_SESSION = """async (id) => {
  const start = performance.now();
  location.hash = '#/s/' + id;
  await new Promise((resolve) => {
    const done = () => document.querySelector('#chat-title')?.textContent === 'Long session'
      && document.querySelectorAll('#messages .turn').length >= 40;
    if (done()) return resolve();
    const observer = new MutationObserver(() => {
      if (done()) { observer.disconnect(); resolve(); }
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  });
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  return performance.now() - start;
}"""

FIRST_PAINT = """async () => {
  await new Promise((resolve) => {
    const done = () => document.querySelector('#session-list li.session');
    if (done()) return resolve();
    const observer = new MutationObserver(() => {
      if (done()) { observer.disconnect(); resolve(); }
    });
    observer.observe(document.documentElement, { childList: true, subtree: true });
  });
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const items = document.querySelectorAll('#session-list li.session').length;
  return { painted: performance.now(), items };
}"""

LONGTASKS = """() => {
  window.__longtasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__longtasks.push(entry.duration);
  }).observe({ type: 'longtask', buffered: false });
}"""


def fill_sessions(data_dir: Path, count: int = 10_000) -> None:
    """Reuse the store benchmark's 10,000-session database if it is built, else make one."""
    if (STORE_CACHE / "hearth.sqlite3").exists():
        shutil.copytree(STORE_CACHE, data_dir, dirs_exist_ok=True)
        return
    from core.paths import Paths
    from core.store import Store

    with Store(Paths.resolve(data_dir)) as store:
        for i in range(count):
            store.create_session(title=f"Session {i}")


def main() -> list[tuple[str, float, str, str, bool]]:
    from playwright.sync_api import sync_playwright

    rows = []
    work = Path(tempfile.mkdtemp(prefix="hearth-ui-bench-"))
    fill_sessions(work / "data")
    with FakeOpenAIServer() as fake, sync_playwright() as p:
        served = Served(work / "data", fake_env(fake))
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 820})
            page = context.new_page()
            page.goto(served.sign_in_url)
            page.wait_for_selector("body[data-ready=true]")

            # Sidebar over 10,000 sessions: navigation start → first session item painted.
            paints = []
            for _ in range(5):
                page.reload()
                result = page.evaluate(FIRST_PAINT)
                paints.append(result["painted"])
            total = served.api.get("/api/sessions?limit=1").json()["total"]
            drawn = page.evaluate("document.querySelectorAll('#session-list li.session').length")
            first_paint = statistics.median(paints)
            rows.append(
                (
                    f"sidebar first paint, {total:,} sessions ({drawn} drawn)",
                    first_paint,
                    "ms",
                    "≤ 200 ms",
                    first_paint <= 200,
                )
            )

            # A 1,000-message session with code blocks and tool cards.
            probe = served.api.post("/api/sessions", json={"title": "probe"}).json()
            shape = served.api.get(f"/api/sessions/{probe['id']}/export?format=json").json()
            long = served.api.post(
                "/api/sessions/import",
                json={
                    "format": shape["format"],
                    "version": shape["version"],
                    "session": {"title": "Long session"},
                    "messages": long_session_export(1000),
                },
            ).json()
            page.wait_for_selector("body[data-ready=true]")
            shows = []
            for _ in range(5):
                page.evaluate("() => { location.hash = '#/new'; }")
                page.wait_for_function(
                    "() => document.querySelectorAll('#messages .turn').length === 0"
                )
                shows.append(page.evaluate(SHOW_SESSION, long["id"]))
            show = statistics.median(shows)
            page.evaluate("() => { location.hash = '#/new'; }")
            rows.append(
                ("open a 1,000-message session (code, tools)", show, "ms", "≤ 300 ms", show <= 300)
            )

            # A 2,000-token answer at 200 tokens/s: the longest main-thread task while it streams.
            page.evaluate("() => { location.hash = '#/new'; }")
            page.wait_for_function(
                "() => document.querySelectorAll('#messages .turn').length === 0"
            )
            words = []
            for i in range(2000):
                words.append(f"word{i}")
                if i % 150 == 149:
                    words.append(f"\n\n{CODE}\n\n- item **bold** `code`\n\n")
            tokens = [w + " " for w in words]
            fake.reply(text="".join(tokens), chunks=len(tokens), delay=1 / 200)
            page.evaluate(LONGTASKS)
            page.fill("#composer-input", "Stream a long answer")
            page.keyboard.press("Enter")
            page.wait_for_selector(".turn.assistant[data-status=completed]", timeout=60_000)
            tasks = page.evaluate("window.__longtasks")
            longest = max(tasks, default=0.0)
            rows.append(
                (
                    f"2,000-token stream at 200 tok/s: longest task ({len(tasks)} over 50 ms)",
                    longest,
                    "ms",
                    "no task > 50 ms",
                    longest <= 50,
                )
            )
            context.close()
        finally:
            browser.close()
            served.close()
            shutil.rmtree(work, ignore_errors=True)
    return rows


if __name__ == "__main__":
    from bench.store_bench import print_table

    sys.exit(0 if print_table("UI (Chromium)", main()) else 1)
