"""Importing a ChatGPT export into a real ``hearth serve``: 2,000 generated conversations
(10 turns each, every 5th answer regenerated) in a zip, posted to /api/sessions/import.
Seconds from the first byte sent to the 201, and the server's RSS before and at its peak
(sampled every 10 ms). ``HEARTH_IMPORT_BENCH_CONVERSATIONS`` sets another count (e.g.
40000 for an export of about 500 MB) to see that the memory stays flat as the file grows.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from bench.report import print_table  # noqa: E402
from bench.server_bench import Served  # noqa: E402
from tests.fakes.chat_exports import generated_gpt  # noqa: E402

CONVERSATIONS = int(os.environ.get("HEARTH_IMPORT_BENCH_CONVERSATIONS", "2000"))
TARGET_SECONDS = 60.0  # for the default 2,000 conversations; other counts are information
TARGET_PEAK_MB = 200.0


def write_export(path: Path, count: int) -> int:
    """A zip holding conversations.json, written one conversation at a time."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("conversations.json", "w", force_zip64=True) as out:
            out.write(b"[")
            for index, conversation in enumerate(generated_gpt(count)):
                out.write((b"," if index else b"") + json.dumps(conversation).encode())
            out.write(b"]")
        return archive.getinfo("conversations.json").file_size


class PeakRSS:
    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.before = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def main() -> list:
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "chatgpt-export.zip"
        unpacked = write_export(export, CONVERSATIONS)
        zipped = export.stat().st_size
        served = Served(str(Path(folder) / "data"))
        try:
            served.client.get("/api/health")
            rss = PeakRSS(served.process.pid)
            start = time.perf_counter()
            with open(export, "rb") as body:
                answer = served.client.post(
                    "/api/sessions/import",
                    content=body,
                    headers={
                        "Content-Type": "application/zip",
                        "Content-Length": str(zipped),
                    },
                    timeout=3600,
                )
            seconds = time.perf_counter() - start
            rss.stop()
            assert answer.status_code == 201, answer.text
            imported = answer.json()["imported"]
            messages = sum(
                s["message_count"]
                for s in served.client.get("/api/sessions", params={"limit": 5}).json()["sessions"]
            )
        finally:
            served.stop()
    mb = 1024 * 1024
    peak = rss.peak / mb
    return [
        (f"conversations imported (of {CONVERSATIONS:,})", imported, "", "", True),
        ("conversations.json unpacked size", unpacked / mb, "MB", "", True),
        ("zip size", zipped / mb, "MB", "", True),
        ("messages in the first 5 sessions listed", messages, "", "", True),
        (
            "import time (upload, check, save)",
            seconds,
            "s",
            f"≤ {TARGET_SECONDS:.0f} s" if CONVERSATIONS == 2000 else "",
            seconds <= TARGET_SECONDS or CONVERSATIONS != 2000,
        ),
        ("conversations per second", imported / seconds, "/s", "", True),
        ("server RSS before", rss.before / mb, "MB", "", True),
        (
            "server RSS peak during the import",
            peak,
            "MB",
            f"≤ {TARGET_PEAK_MB:.0f} MB",
            peak <= TARGET_PEAK_MB,
        ),
    ]


if __name__ == "__main__":
    ok = print_table("Import (ChatGPT export into hearth serve)", main())
    sys.exit(0 if ok else 1)
