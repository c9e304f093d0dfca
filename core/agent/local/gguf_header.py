"""What a GGUF file says about itself: read from its header, without loading any tensor.

The format (github.com/ggml-org/ggml, docs/gguf.md): the magic ``GGUF``, a version, the tensor
count, then key/value pairs (``general.name``, ``general.file_type``,
``<architecture>.context_length``...). Arrays (the tokenizer's 150,000 tokens) are skipped,
not kept. Everything is little-endian.

A header is untrusted input: arrays are skipped without recursion and at most a few deep, the
reader stops after ``MAX_METADATA_BYTES`` or ``MAX_ITEMS`` array items (keeping the keys read so
far), and any malformed header is a NotGGUF with a sentence. ``model_facts_of`` keeps what it
read per file (by device, inode, size and modification time), so listing models or opening a
chat does not read the same header again.
"""

from __future__ import annotations

import struct
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, BinaryIO

MAGIC = b"GGUF"
MAX_KEYS = 100_000
MAX_STRING = 16 * 1024 * 1024
MAX_ARRAY = 50_000_000
MAX_DEPTH = 4  # arrays of arrays of ... (real models use one level)
MAX_METADATA_BYTES = 64 * 1024 * 1024  # read no further than this into a header
MAX_ITEMS = 1_000_000  # array items walked one by one (strings), all arrays together
MAX_TEMPLATE = 256 * 1024  # a chat template longer than this is not read
CACHE_SIZE = 256

# The enum llama.cpp writes in general.file_type (llama_ftype): most tensors' quantization.
FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
    17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
    23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
    29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
}  # fmt: skip

# value type -> struct format of a scalar; 8 is a string, 9 an array
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
            10: "<Q", 11: "<q", 12: "<d"}  # fmt: skip
_STRING, _ARRAY = 8, 9
_CHUNK = 1024 * 1024
# keys kept (the rest are read past); "{arch}" is the file's general.architecture
_WANTED = ("general.name", "general.architecture", "general.file_type", "general.size_label",
           "general.basename", "general.license", "tokenizer.chat_template")  # fmt: skip
_WANTED_ARCH = ("context_length", "block_count", "embedding_length", "attention.head_count",
                "attention.head_count_kv")  # fmt: skip


class NotGGUF(ValueError):
    """The file is not a GGUF model, or its header is cut short or malformed."""


class _Stop(Exception):
    """The header is longer than Hearth reads: keep what was read."""


def model_facts_of(path: Path) -> dict[str, Any]:
    """``model_facts`` of ``path``'s header plus its ``size``, read once per version of the
    file. Raises NotGGUF (with a sentence) or OSError."""
    stat = Path(path).stat()
    key = str(path)
    version = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == version:
            _cache.move_to_end(key)
            facts = cached[1]
            if isinstance(facts, NotGGUF):
                raise NotGGUF(str(facts))
            return dict(facts)
    try:
        facts: dict[str, Any] | NotGGUF = {
            **model_facts(read_gguf_header(Path(path))),
            "size": stat.st_size,
        }
    except NotGGUF as exc:
        facts = exc
    with _cache_lock:
        _cache[key] = (version, facts)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    if isinstance(facts, NotGGUF):
        raise NotGGUF(str(facts))
    return dict(facts)


_cache: OrderedDict[str, tuple[tuple[int, int, int, int], Any]] = OrderedDict()
_cache_lock = threading.Lock()


def read_gguf_header(path: Path) -> dict[str, Any]:
    """``{"version", "tensor_count", "metadata": {key: value}, "complete"}`` with the keys Hearth
    uses; ``complete`` is False when the header was longer than Hearth reads."""
    with open(path, "rb") as f:
        if f.read(4) != MAGIC:
            raise NotGGUF(f"{path.name} is not a GGUF model file (it does not start with GGUF).")
        try:
            return _read_header(f)
        except NotGGUF as exc:
            raise NotGGUF(f"{path.name}: {exc}") from None
        except (struct.error, ValueError, OverflowError, RecursionError, MemoryError):
            raise NotGGUF(f"{path.name} has a malformed GGUF header.") from None


def _read_header(f: BinaryIO) -> dict[str, Any]:
    version = _read(f, "<I")
    if version == 1:
        count_format = "<I"
    elif version in (2, 3):
        count_format = "<Q"
    else:
        raise NotGGUF(f"it is GGUF version {version}, which Hearth cannot read.")
    tensor_count = _read(f, count_format)
    key_count = _read(f, count_format)
    if key_count > MAX_KEYS:
        raise NotGGUF(f"the GGUF header is malformed ({key_count} keys).")
    metadata: dict[str, Any] = {}
    budget = _Budget()
    complete = True
    try:
        for _ in range(key_count):
            key = _string(f, count_format, keep=True)
            kind = _read(f, "<I")
            keep = key in _WANTED or _arch_key(metadata, key) is not None
            value = _value(f, kind, count_format, keep, budget)
            if keep:
                metadata[key] = value
            if f.tell() > MAX_METADATA_BYTES:
                raise _Stop()
    except _Stop:
        complete = False
    return {
        "version": version,
        "tensor_count": tensor_count,
        "metadata": metadata,
        "complete": complete,
    }


def model_facts(header: dict[str, Any]) -> dict[str, Any]:
    """The header in plain words: name, architecture, quantization, context length, shape,
    and whether its chat template speaks of tools."""
    meta = header["metadata"]
    arch = meta.get("general.architecture")
    arch = arch if isinstance(arch, str) else None

    def arch_value(name: str) -> int | None:
        value = meta.get(f"{arch}.{name}") if arch else None
        if isinstance(value, list):  # some models give a per-layer list
            value = max((v for v in value if isinstance(v, int)), default=None)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    file_type = meta.get("general.file_type")
    template = meta.get("tokenizer.chat_template")
    return {
        "name": meta.get("general.name") if isinstance(meta.get("general.name"), str) else None,
        "architecture": arch,
        "quantization": FILE_TYPES.get(file_type) if isinstance(file_type, int) else None,
        "context_length": arch_value("context_length"),
        "layers": arch_value("block_count"),
        "embedding_length": arch_value("embedding_length"),
        "head_count": arch_value("attention.head_count"),
        "head_count_kv": arch_value("attention.head_count_kv"),
        "size_label": meta.get("general.size_label"),
        "has_chat_template": isinstance(template, str),
        "template_mentions_tools": isinstance(template, str) and "tools" in template,
    }


def _arch_key(meta: dict[str, Any], key: str) -> str | None:
    arch = meta.get("general.architecture")
    if isinstance(arch, str) and key.startswith(arch + "."):
        rest = key[len(arch) + 1 :]
        return rest if rest in _WANTED_ARCH else None
    return None


class _Budget:
    def __init__(self) -> None:
        self.items = MAX_ITEMS

    def spend(self, count: int) -> None:
        self.items -= count
        if self.items < 0:
            raise _Stop()


def _read(f: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise NotGGUF("the GGUF header is cut short; the file may be incomplete.")
    return struct.unpack(fmt, data)[0]


def _string(f: BinaryIO, count_format: str, keep: bool) -> str | None:
    length = _read(f, count_format)
    if length > MAX_STRING:
        raise NotGGUF("the GGUF header holds a malformed string.")
    if not keep or length > MAX_TEMPLATE:
        f.seek(length, 1)
        return None
    data = f.read(length)
    if len(data) != length:
        raise NotGGUF("the GGUF header is cut short; the file may be incomplete.")
    return data.decode("utf-8", errors="replace")


def _value(f: BinaryIO, kind: int, count_format: str, keep: bool, budget: _Budget) -> Any:
    if kind in _SCALARS:
        return _read(f, _SCALARS[kind])
    if kind == _STRING:
        return _string(f, count_format, keep)
    if kind == _ARRAY:
        item_kind = _read(f, "<I")
        count = _read(f, count_format)
        if count > MAX_ARRAY:
            raise NotGGUF("the GGUF header holds a malformed array.")
        if item_kind in _SCALARS and keep and count <= 10_000:
            size = struct.calcsize(_SCALARS[item_kind])
            data = f.read(size * count)
            if len(data) != size * count:
                raise NotGGUF("the GGUF header is cut short; the file may be incomplete.")
            return list(struct.unpack("<" + _SCALARS[item_kind][1] * count, data))
        _skip_array(f, item_kind, count, count_format, budget)
        return None
    raise NotGGUF(f"the GGUF header holds an unknown value type ({kind}).")


def _skip_array(f: BinaryIO, item_kind: int, count: int, count_format: str, budget: _Budget):
    """Read past an array, nested ones included, with a stack rather than recursion."""
    stack = [(item_kind, count)]
    while stack:
        item_kind, count = stack.pop()
        if item_kind in _SCALARS:
            f.seek(struct.calcsize(_SCALARS[item_kind]) * count, 1)
        elif item_kind == _STRING:
            budget.spend(count)
            _skip_strings(f, count, count_format)
        elif item_kind == _ARRAY:
            if count == 0:
                continue
            if len(stack) + 1 >= MAX_DEPTH:
                raise NotGGUF("the GGUF header nests arrays too deep.")
            budget.spend(1)
            inner_kind = _read(f, "<I")
            inner_count = _read(f, count_format)
            if inner_count > MAX_ARRAY:
                raise NotGGUF("the GGUF header holds a malformed array.")
            stack.append((_ARRAY, count - 1))  # the rest of this array, after the inner one
            stack.append((inner_kind, inner_count))
        else:
            raise NotGGUF(f"the GGUF header holds an unknown value type ({item_kind}).")
        if f.tell() > MAX_METADATA_BYTES:
            raise _Stop()


def _skip_strings(f: BinaryIO, count: int, count_format: str) -> None:
    """Read past ``count`` length-prefixed strings, a megabyte of the file at a time."""
    width = struct.calcsize(count_format)
    unpack = struct.Struct(count_format).unpack_from
    start, buffer, at = f.tell(), b"", 0
    for _ in range(count):
        if at + width > len(buffer):
            start += at
            if start > MAX_METADATA_BYTES:
                raise _Stop()
            f.seek(start)
            buffer, at = f.read(_CHUNK), 0
            if len(buffer) < width:
                raise NotGGUF("the GGUF header is cut short; the file may be incomplete.")
        (length,) = unpack(buffer, at)
        if length > MAX_STRING:
            raise NotGGUF("the GGUF header holds a malformed string.")
        at += width + length
    f.seek(start + at)
