"""Shared fixtures. Every test gets a private data folder: nothing touches the real home."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.paths import Paths
from core.store import Store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HEARTH_DATA_DIR", str(tmp_path_factory.mktemp("hearth-home")))
    monkeypatch.setenv("HEARTH_SECRETS_BACKEND", "file")  # never the real keychain
    for name in ("HEARTH_BASE_URL", "HEARTH_API_KEY", "HEARTH_MODEL", "HEARTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths.resolve(tmp_path / "data")


@pytest.fixture
def store(paths: Paths):
    with Store(paths) as opened:
        yield opened


def python(*args: str, **kwargs) -> subprocess.Popen:
    """Start ``python args...`` with the repo importable, for crash and multi-process tests."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **kwargs.pop("env", {})}
    return subprocess.Popen([sys.executable, *args], env=env, **kwargs)
