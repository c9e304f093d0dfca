import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.version import __version__
from tests.conftest import ROOT


def test_version_prints_the_version():
    out = subprocess.run(
        [sys.executable, "-m", "desktop.cli", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert out.stdout.strip() == f"hearth {__version__}"


def test_importing_core_pays_for_no_sdk_and_no_web_framework():
    code = (
        "import sys, core, core.store, core.runs, core.paths;"
        "print(sorted(m for m in ('openai', 'anthropic', 'bottle', 'webview', 'httpx')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stderr


def _serve_with(args: list[str], env_data_dir: Path) -> tuple[dict, str]:
    """Start ``hearth ARGS`` (a serve), wait for its sign-in line, stop it; the server.json
    it wrote while running and where it wrote it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HEARTH_DATA_DIR": str(env_data_dir)}
    env.pop("HEARTH_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        line = process.stdout.readline().strip()  # printed once server.json is written
        assert line.startswith("http://127.0.0.1:"), process.stderr.read()
        written = list(env_data_dir.parent.rglob("server.json"))
        assert len(written) == 1, written
        return json.loads(written[0].read_text()), str(written[0].parent)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
        process.stdout.close()
        process.stderr.close()


@pytest.mark.parametrize("before", [True, False])
def test_data_dir_works_before_or_after_the_command(before, tmp_path):
    chosen, from_env = tmp_path / "chosen", tmp_path / "from-env"
    flags = ["--data-dir", str(chosen)]
    args = [*flags, "serve", "--port", "0"] if before else ["serve", "--port", "0", *flags]
    info, folder = _serve_with(args, from_env)
    assert folder == str(chosen)
    assert not from_env.exists()
    assert info["url"].startswith("http://127.0.0.1:")


def test_version_works_after_the_command():
    out = subprocess.run(
        [sys.executable, "-m", "desktop.cli", "serve", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0 and out.stdout.strip() == f"hearth {__version__}"
