import subprocess
import sys

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
