"""Attaching a 20 MB PDF to a real ``hearth serve``: seconds from the first byte sent to the
201 (the file kept and synced, its type found and its text extracted and cached: "ready"),
and the server's RSS before and at its peak (sampled every 10 ms). The PDF has 300 pages of
text (Hearth reads the first 200) and 20 MB of image streams."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.import_bench import PeakRSS  # noqa: E402
from bench.report import print_table  # noqa: E402
from bench.server_bench import Served  # noqa: E402
from tests.fakes.attachment_files import pdf  # noqa: E402

PAGES = 300
TARGET_SECONDS = 10.0
TARGET_PEAK_MB = 200.0


def main() -> list:
    text = [
        f"Page {n}: " + "the quick brown fox jumps over the lazy dog " * 40 for n in range(PAGES)
    ]
    body = pdf(text, padding=20 * 1024 * 1024)
    with tempfile.TemporaryDirectory() as folder:
        served = Served(str(Path(folder) / "data"))
        try:
            served.client.get("/api/health")
            rss = PeakRSS(served.process.pid)
            start = time.perf_counter()
            answer = served.client.post(
                "/api/attachments",
                content=body,
                headers={"Content-Type": "application/pdf", "X-Filename": "report.pdf"},
                timeout=600,
            )
            seconds = time.perf_counter() - start
            rss.stop()
            assert answer.status_code == 201, answer.text
            start = time.perf_counter()
            again = served.client.post(
                "/api/attachments",
                content=body,
                headers={"Content-Type": "application/pdf", "X-Filename": "same.pdf"},
                timeout=600,
            )
            cached = time.perf_counter() - start
            assert again.status_code == 201, again.text
        finally:
            served.stop()
    mb = 1024 * 1024
    peak = rss.peak / mb
    return [
        ("PDF size", len(body) / mb, "MB", "", True),
        (
            "time to ready (upload, sync, extract 200 pages)",
            seconds,
            "s",
            f"≤ {TARGET_SECONDS:.0f} s",
            seconds <= TARGET_SECONDS,
        ),
        ("the same bytes again (text from the cache)", cached, "s", "", True),
        ("server RSS before", rss.before / mb, "MB", "", True),
        (
            "server RSS peak while attaching",
            peak,
            "MB",
            f"≤ {TARGET_PEAK_MB:.0f} MB",
            peak <= TARGET_PEAK_MB,
        ),
    ]


if __name__ == "__main__":
    ok = print_table("Attachments (a 20 MB PDF into hearth serve)", main())
    sys.exit(0 if ok else 1)
