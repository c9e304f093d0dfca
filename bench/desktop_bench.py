"""Desktop benchmarks: launch to the sessions list on screen, and the packaged app's size.

Run: ``python bench/desktop_bench.py`` (or ``python bench/run.py`` for every benchmark).
Needs Xvfb (it starts its own screen) and pywebview with PySide6; the bundle rows also need
PyInstaller (the bundle is built into bench/.cache/bundle, about 40 s here).

"Launch" counts from the moment the OS created the ``hearth`` process until the page has
fetched the sessions list and painted twice (the window logs it as "ui ready").
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.desktop.xvfb import start_xvfb  # noqa: E402

CACHE = ROOT / "bench" / ".cache" / "bundle"
LAUNCHES = 3
READY = re.compile(r"ui ready: sessions list on screen ([0-9.]+) s after launch")
LAUNCH_TARGET_S = 2.0
SIZE_TARGET_MB = 350


def launch_seconds(command: list[str], display: str) -> float:
    """One launch on a fresh data dir: seconds until the sessions list is on screen."""
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "DISPLAY": display, "HEARTH_DATA_DIR": data, "PYTHONPATH": str(ROOT)}
        for name in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
            env.pop(name, None)
        process = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        log = Path(data) / "logs" / "server.log"
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                found = READY.search(log.read_text()) if log.exists() else None
                if found:
                    return float(found.group(1))
                if process.poll() is not None:
                    raise RuntimeError(f"hearth exited with {process.returncode}")
                time.sleep(0.02)  # another process's log: nothing to block on
            raise RuntimeError("the window did not show the sessions list within 60 s")
        finally:
            process.terminate()
            process.wait(30)


def build_bundle() -> Path | None:
    if importlib.util.find_spec("PyInstaller") is None:
        return None
    shutil.rmtree(CACHE, ignore_errors=True)
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "build_spec" / "build.py"),
            "--no-installers",
            "--dist",
            str(CACHE / "dist"),
            "--work",
            str(CACHE / "work"),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return CACHE / "dist" / "hearth"


def folder_mb(folder: Path) -> float:
    files = (p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return sum(p.stat().st_size for p in files) / 1e6


def main() -> list[tuple[str, float, str, str, bool]]:
    if shutil.which("Xvfb") is None or importlib.util.find_spec("webview") is None:
        print("(desktop bench skipped: needs Xvfb and pywebview[pyside6])")
        return []
    rows = []
    xvfb, display = start_xvfb()
    try:
        source = [sys.executable, "-m", "desktop.cli"]
        times = [launch_seconds(source, display) for _ in range(LAUNCHES)]
        median = statistics.median(times)
        rows.append(
            (
                f"launch to sessions list (p50 of {LAUNCHES})",
                median,
                "s",
                f"≤ {LAUNCH_TARGET_S:g} s",
                median <= LAUNCH_TARGET_S,
            )
        )
        rows.append((f"launch to sessions list (max of {LAUNCHES})", max(times), "s", "", True))
        bundle = build_bundle()
        if bundle is not None:
            size = folder_mb(bundle)
            rows.append(
                (
                    "bundle size, unpacked (Linux one-folder)",
                    size,
                    "MB",
                    f"≤ {SIZE_TARGET_MB} MB",
                    size <= SIZE_TARGET_MB,
                )
            )
            frozen = [launch_seconds([str(bundle / "hearth")], display) for _ in range(LAUNCHES)]
            median = statistics.median(frozen)
            rows.append(
                (
                    f"bundle: launch to sessions list (p50 of {LAUNCHES})",
                    median,
                    "s",
                    f"≤ {LAUNCH_TARGET_S:g} s",
                    median <= LAUNCH_TARGET_S,
                )
            )
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    return rows


if __name__ == "__main__":
    from bench.report import print_table

    sys.exit(0 if print_table("Desktop", main()) else 1)
