"""GGUF headers made to hurt, on a real ``hearth serve``: arrays nested thousands deep, and an
array of millions of empty strings. Adding one is refused with a sentence; one in the models
folder is listed with its problem; choosing one does not slow every chat down, because a
header is read once per version of its file."""

from __future__ import annotations

import struct
import time

import pytest


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def _pair(key: str, kind: int, value: bytes) -> bytes:
    return _string(key) + struct.pack("<I", kind) + value


def _gguf(*pairs: bytes) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", 3, 0, len(pairs)) + b"".join(pairs)


def nested_arrays(depth: int = 7000) -> bytes:
    """An array holding an array holding an array... (about 84 KB)."""
    chain = struct.pack("<IQ", 9, 1) * depth + struct.pack("<IQ", 4, 0)
    return _gguf(_pair("general.architecture", 8, _string("llama")), _pair("evil", 9, chain))


def empty_strings(count: int) -> bytes:
    """A tokenizer of ``count`` empty tokens (8 bytes each), then a chat template."""
    return _gguf(
        _pair("general.architecture", 8, _string("llama")),
        _pair("general.name", 8, _string("Many Empty Tokens")),
        _pair("llama.context_length", 4, struct.pack("<I", 2048)),
        _pair("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, count) + bytes(8 * count)),
        _pair("tokenizer.chat_template", 8, _string("{{ messages }}")),
    )


@pytest.fixture
def hearth(start_server, tmp_path):
    (tmp_path / "data" / "models").mkdir(parents=True)
    return start_server(tmp_path / "data", fake=None)


def test_deeply_nested_arrays_are_refused_and_listed_with_their_problem(hearth, tmp_path):
    evil = tmp_path / "nested.gguf"
    evil.write_bytes(nested_arrays())

    added = hearth.client.post("/api/models", json={"path": str(evil)})
    assert added.status_code == 400, added.text
    assert "nests arrays too deep" in added.json()["error"]["message"]

    (hearth.data_dir / "models" / "nested.gguf").write_bytes(nested_arrays())
    for _ in range(2):
        listed = hearth.client.get("/api/models")
        assert listed.status_code == 200, listed.text
        (model,) = [m for m in listed.json()["models"] if m["file"] == "nested.gguf"]
        assert "nests arrays too deep" in model["problem"]


def test_a_model_with_millions_of_empty_tokens_does_not_slow_every_chat(hearth):
    big = hearth.data_dir / "models" / "many-tokens.gguf"
    big.write_bytes(empty_strings(5_000_000))  # 40 MB of header
    used = hearth.client.post("/api/models/many-tokens.gguf/use")
    assert used.status_code == 200, used.text
    assert used.json()["name"] == "Many Empty Tokens"
    assert used.json()["context_length"] == 2048
    session = hearth.new_session(model="builtin/many-tokens.gguf")

    started = time.monotonic()
    for _ in range(10):
        opened = hearth.client.get(f"/api/sessions/{session['id']}")
        assert opened.status_code == 200, opened.text
        assert hearth.client.get("/api/models").status_code == 200
    # Before, each of these read the whole header again: 5 s or more apiece.
    assert time.monotonic() - started < 5.0
