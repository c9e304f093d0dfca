"""Importing the providers package must not load an SDK (they cost 0.5-1.2 s each)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("openai", "anthropic", "httpx2", "httpx")

PROBE = """
import json, sys
import core.agent.providers as providers
loaded = {"import": sorted(m for m in %(heavy)r if m in sys.modules)}
providers.make_provider(providers.ProviderConfig(kind="openai", base_url="http://127.0.0.1:9/v1"))
loaded["openai provider"] = sorted(m for m in %(heavy)r if m in sys.modules)
print(json.dumps(loaded))
"""


def test_importing_providers_loads_no_sdk():
    result = subprocess.run(
        [sys.executable, "-c", PROBE % {"heavy": HEAVY}],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = json.loads(result.stdout)
    assert loaded["import"] == []
    assert "openai" in loaded["openai provider"]
    assert "anthropic" not in loaded["openai provider"]
