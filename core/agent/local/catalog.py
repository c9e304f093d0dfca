"""The local models Hearth knows: the built-in one, the GGUF files in the data folder's
``models`` folder, and any GGUF file the user added by its path (kept in
``config/models.json``; the file itself stays where it is).

Each model is described from its own header (size, quantization, context length) with an
estimate of the memory it needs to run, set against the memory free now. A model's id is
``builtin/<file name>``: the built-in runtime's provider id, then the file.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

from core.errors import Conflict, InvalidInput, NotFound
from core.settings.files import read_json, write_private_json

from .gguf_header import NotGGUF, model_facts_of
from .models import can_call_tools

log = logging.getLogger(__name__)

PROVIDER_ID = "builtin"
MODELS_FOLDER = "models"
WORKING_CONTEXT = 4096  # the context the memory estimate assumes (the runtime may use less)
RUNTIME_OVERHEAD = 150 * 1024 * 1024  # compute buffers and the runtime process itself
MAX_ADDED = 200
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,199}\.gguf")


def models_folder(data: Path) -> Path:
    return data / MODELS_FOLDER


def safe_model_name(name: str) -> str:
    """``name`` if it can be a model file's name in the models folder, else InvalidInput."""
    if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name):
        raise InvalidInput(
            f"{str(name)[:80]!r} is not a model file name Hearth accepts: letters, digits, '.',"
            " '_', '-' or '+', ending in .gguf."
        )
    return name


def builtin_model_file() -> Path | None:
    """The model that comes with Hearth, if the built-in runtime is installed."""
    try:
        from core.agent.local.models import builtin_model_path  # the runtime's own module
    except ImportError:
        return None
    try:
        path = builtin_model_path()
    except Exception:  # a runtime without its model: nothing built in to list
        log.debug("no built-in model", exc_info=True)
        return None
    return Path(path) if path else None


def describe(path: Path, source: str) -> dict[str, Any]:
    """One model as the models page shows it; ``problem`` says why a file cannot be used."""
    record: dict[str, Any] = {
        "id": f"{PROVIDER_ID}/{path.name}",
        "file": path.name,
        "path": str(path),
        "source": source,  # "builtin", "folder" or "added"
        "size": None,
        "name": path.stem,
        "quantization": None,
        "context_length": None,
        "architecture": None,
        "memory_needed": None,
        "tools": False,
        "problem": None,
    }
    try:
        facts = model_facts_of(path)
        record["size"] = facts["size"]
    except FileNotFoundError:
        record["problem"] = f"The file {path} is no longer there."
        return record
    except NotGGUF as exc:
        record["problem"] = str(exc)
        record["size"] = _size_or_none(path)
        return record
    except OSError as exc:
        record["problem"] = f"Hearth cannot read {path}: {exc.strerror or exc}."
        return record
    record.update(
        name=facts["name"] or path.stem,
        quantization=facts["quantization"],
        context_length=facts["context_length"],
        architecture=facts["architecture"],
        memory_needed=memory_needed(record["size"], facts),
        tools=can_call_tools(path),  # offered tools in a chat (the chat says when it is not)
    )
    return record


def _size_or_none(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def memory_needed(file_size: int, facts: dict[str, Any]) -> int:
    """Bytes to run the model: its weights, a 16-bit KV cache for the working context, and the
    runtime's own buffers. An estimate, good to tell a model that fits from one that does not."""
    context = min(facts.get("context_length") or WORKING_CONTEXT, WORKING_CONTEXT)
    layers, width = facts.get("layers"), facts.get("embedding_length")
    heads, kv_heads = facts.get("head_count"), facts.get("head_count_kv")
    kv_cache = 0
    if layers and width:
        kv_width = width * kv_heads // heads if heads and kv_heads else width
        kv_cache = 2 * layers * context * kv_width * 2  # keys and values, 2 bytes each
    return file_size + kv_cache + RUNTIME_OVERHEAD


def memory_now() -> dict[str, int | None]:
    try:
        import psutil

        memory = psutil.virtual_memory()
        return {"total": memory.total, "available": memory.available}
    except Exception:  # no psutil on this platform: the page says "unknown"
        return {"total": None, "available": None}


class Catalog:
    """The models of one data folder. Thread-safe."""

    def __init__(self, data: Path, config: Path) -> None:
        self.folder = models_folder(data)
        self._added_file = config / "models.json"
        self._lock = threading.Lock()

    def list(self) -> list[dict[str, Any]]:
        """The built-in model, then the folder's models, then the added ones, by name."""
        models: list[dict[str, Any]] = []
        seen: set[str] = set()
        builtin = builtin_model_file()
        if builtin is not None and builtin.is_file():
            models.append(describe(builtin, "builtin"))
            seen.add(builtin.name)
        for path in self._folder_files():
            if path.name not in seen:
                models.append(describe(path, "folder"))
                seen.add(path.name)
        for path in self._added():
            if path.name not in seen:
                models.append(describe(path, "added"))
                seen.add(path.name)
        return models

    def find(self, file: str) -> dict[str, Any]:
        for model in self.list():
            if model["file"] == file:
                return model
        raise NotFound(f"No local model is called {file!r}.")

    def path_of(self, model_id: str) -> Path | None:
        """The file behind ``builtin/<file>`` (or a bare file name), None if none is listed."""
        file = model_id.split("/", 1)[1] if model_id.startswith(PROVIDER_ID + "/") else model_id
        for path in self._named(file):
            try:
                model_facts_of(path)  # read once per version of the file, then remembered
            except (NotGGUF, OSError):
                continue
            return path
        return None

    def _named(self, file: str) -> list[Path]:
        """The files that may be the model called ``file``, in the order list() shows them."""
        found: list[Path] = []
        builtin = builtin_model_file()
        if builtin is not None and builtin.name == file:
            found.append(builtin)
        if _SAFE_NAME.fullmatch(file) and (self.folder / file).is_file():
            found.append(self.folder / file)
        found += [p for p in self._added() if p.name == file]
        return found[:1]

    def add(self, path_text: Any) -> dict[str, Any]:
        """Add a GGUF file the user picked, by its full path (the file is not copied)."""
        if not isinstance(path_text, str) or not path_text.strip() or "\x00" in path_text:
            raise InvalidInput("Give the full path to a .gguf file.")
        path = Path(path_text.strip()).expanduser()
        if not path.is_absolute():
            raise InvalidInput(f"{path_text!r} is not a full path; give the file's whole path.")
        if path.suffix.lower() != ".gguf":
            raise InvalidInput(f"{path.name} is not a .gguf file; Hearth runs GGUF models only.")
        if not path.is_file():
            raise InvalidInput(f"There is no file at {path}.")
        try:
            model_facts_of(path)
        except NotGGUF as exc:
            raise InvalidInput(str(exc)) from None
        except OSError as exc:
            raise InvalidInput(f"Hearth cannot read {path}: {exc.strerror or exc}.") from None
        with self._lock:
            added = self._added()
            if any(p.name == path.name for p in self.list_paths()):
                raise Conflict(
                    f"A model file named {path.name} is listed already; rename one of them to"
                    " keep both."
                )
            if len(added) >= MAX_ADDED:
                raise InvalidInput(f"At most {MAX_ADDED} model files can be added by path.")
            self._save_added([*added, path])
        return describe(path, "added")

    def remove(self, file: str) -> dict[str, Any]:
        """Delete a model from the models folder, or forget one added by path (its file is the
        user's and stays). The built-in model cannot be removed."""
        model = self.find(file)
        if model["source"] == "builtin":
            raise InvalidInput("The built-in model comes with Hearth and cannot be removed.")
        if model["source"] == "folder":
            try:
                os.unlink(model["path"])
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise InvalidInput(
                    f"Hearth could not delete {model['path']}: {exc.strerror or exc}."
                ) from None
            return model
        with self._lock:
            self._save_added([p for p in self._added() if str(p) != model["path"]])
        return model

    def list_paths(self) -> list[Path]:
        builtin = builtin_model_file()
        return ([builtin] if builtin else []) + self._folder_files() + self._added()

    def _folder_files(self) -> list[Path]:
        try:
            entries = sorted(self.folder.iterdir(), key=lambda p: p.name.lower())
        except OSError:
            return []
        return [p for p in entries if p.suffix.lower() == ".gguf" and p.is_file()]

    def _added(self) -> list[Path]:
        try:
            raw = read_json(self._added_file)
        except FileNotFoundError:
            return []
        except (OSError, ValueError):
            log.warning("%s could not be read; no model added by path is listed", self._added_file)
            return []
        items = raw.get("added") if isinstance(raw, dict) else None
        return [Path(p) for p in items or [] if isinstance(p, str) and Path(p).is_absolute()]

    def _save_added(self, paths: list[Path]) -> None:
        write_private_json(self._added_file, {"version": 1, "added": [str(p) for p in paths]})
