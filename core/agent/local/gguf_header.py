"""What a GGUF file says about itself: read from its header, without loading any tensor.

The format (github.com/ggml-org/ggml, docs/gguf.md): the magic ``GGUF``, a version, the tensor
count, then key/value pairs (``general.name``, ``general.file_type``,
``<architecture>.context_length``...). Arrays (the tokenizer's 150,000 tokens) are skipped,
not kept. Everything is little-endian.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, BinaryIO

MAGIC = b"GGUF"
MAX_KEYS = 100_000
MAX_STRING = 16 * 1024 * 1024
MAX_ARRAY = 50_000_000

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
# keys kept (the rest are read past); "{arch}" is the file's general.architecture
_WANTED = ("general.name", "general.architecture", "general.file_type", "general.size_label",
           "general.basename", "general.license", "tokenizer.chat_template")  # fmt: skip
_WANTED_ARCH = ("context_length", "block_count", "embedding_length", "attention.head_count",
                "attention.head_count_kv")  # fmt: skip


class NotGGUF(ValueError):
    """The file is not a GGUF model, or its header is cut short or malformed."""


def read_gguf_header(path: Path) -> dict[str, Any]:
    """``{"version", "tensor_count", "metadata": {key: value}}`` with the keys Hearth uses."""
    with open(path, "rb") as f:
        if f.read(4) != MAGIC:
            raise NotGGUF(f"{path.name} is not a GGUF model file (it does not start with GGUF).")
        version = _read(f, "<I")
        if version == 1:
            count_format = "<I"
        elif version in (2, 3):
            count_format = "<Q"
        else:
            raise NotGGUF(f"{path.name} is GGUF version {version}, which Hearth cannot read.")
        tensor_count = _read(f, count_format)
        key_count = _read(f, count_format)
        if key_count > MAX_KEYS:
            raise NotGGUF(f"{path.name} has a malformed GGUF header ({key_count} keys).")
        metadata: dict[str, Any] = {}
        for _ in range(key_count):
            key = _string(f, count_format, keep=True)
            kind = _read(f, "<I")
            keep = key in _WANTED or _arch_key(metadata, key) is not None
            value = _value(f, kind, count_format, keep)
            if keep:
                metadata[key] = value
    return {"version": version, "tensor_count": tensor_count, "metadata": metadata}


def model_facts(header: dict[str, Any]) -> dict[str, Any]:
    """The header in plain words: name, architecture, quantization, context length, shape."""
    meta = header["metadata"]
    arch = meta.get("general.architecture")
    arch = arch if isinstance(arch, str) else None

    def arch_value(name: str) -> int | None:
        value = meta.get(f"{arch}.{name}") if arch else None
        if isinstance(value, list):  # some models give a per-layer list
            value = max((v for v in value if isinstance(v, int)), default=None)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    file_type = meta.get("general.file_type")
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
        "has_chat_template": isinstance(meta.get("tokenizer.chat_template"), str),
    }


def _arch_key(meta: dict[str, Any], key: str) -> str | None:
    arch = meta.get("general.architecture")
    if isinstance(arch, str) and key.startswith(arch + "."):
        rest = key[len(arch) + 1 :]
        return rest if rest in _WANTED_ARCH else None
    return None


def _read(f: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise NotGGUF("The GGUF header is cut short; the file may be incomplete.")
    return struct.unpack(fmt, data)[0]


def _string(f: BinaryIO, count_format: str, keep: bool) -> str | None:
    length = _read(f, count_format)
    if length > MAX_STRING:
        raise NotGGUF("The GGUF header holds a malformed string.")
    if not keep:
        f.seek(length, 1)
        return None
    data = f.read(length)
    if len(data) != length:
        raise NotGGUF("The GGUF header is cut short; the file may be incomplete.")
    return data.decode("utf-8", errors="replace")


def _value(f: BinaryIO, kind: int, count_format: str, keep: bool) -> Any:
    if kind in _SCALARS:
        return _read(f, _SCALARS[kind])
    if kind == _STRING:
        return _string(f, count_format, keep)
    if kind == _ARRAY:
        item_kind = _read(f, "<I")
        count = _read(f, count_format)
        if count > MAX_ARRAY:
            raise NotGGUF("The GGUF header holds a malformed array.")
        if item_kind in _SCALARS:
            size = struct.calcsize(_SCALARS[item_kind])
            if not keep or count > 10_000:
                f.seek(size * count, 1)
                return None
            data = f.read(size * count)
            if len(data) != size * count:
                raise NotGGUF("The GGUF header is cut short; the file may be incomplete.")
            return list(struct.unpack("<" + _SCALARS[item_kind][1] * count, data))
        for _ in range(count):
            _value(f, item_kind, count_format, False)
        return None
    raise NotGGUF(f"The GGUF header holds an unknown value type ({kind}).")
