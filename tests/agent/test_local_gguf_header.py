"""The one GGUF header reader: any damaged header is a NotGGUF with a sentence, never another
exception; what it read is kept per version of the file."""

from __future__ import annotations

import os
import random

import pytest

from core.agent.local.catalog import Catalog
from core.agent.local.gguf_header import NotGGUF, model_facts_of, read_gguf_header
from core.agent.local.models import describe_model
from tests.fakes.hub_server import gguf_bytes
from tests.server.test_models_hostile_headers import empty_strings, nested_arrays


def test_every_cut_and_many_damaged_headers_are_a_notgguf(tmp_path):
    whole = gguf_bytes(size=4096)
    path = tmp_path / "damaged.gguf"
    header_end = whole.index(bytes(range(256)))
    for cut in range(header_end):
        path.write_bytes(whole[:cut])
        with pytest.raises(NotGGUF):
            read_gguf_header(path)
    shuffle = random.Random(7)
    for _ in range(2000):
        damaged = bytearray(whole)
        for _ in range(shuffle.randint(1, 4)):
            damaged[shuffle.randrange(4, header_end)] = shuffle.randrange(256)
        path.write_bytes(bytes(damaged))
        try:
            read_gguf_header(path)
        except NotGGUF as exc:
            assert str(exc).startswith("damaged.gguf")


def test_nested_arrays_and_huge_token_lists_are_cheap(tmp_path):
    nested = tmp_path / "nested.gguf"
    nested.write_bytes(nested_arrays(depth=50_000))
    with pytest.raises(NotGGUF, match="nests arrays too deep"):
        read_gguf_header(nested)

    many = tmp_path / "many.gguf"
    many.write_bytes(empty_strings(5_000_000))
    header = read_gguf_header(many)  # stops at the token list: Hearth reads no further
    assert header["complete"] is False
    assert header["metadata"]["general.name"] == "Many Empty Tokens"

    fewer = tmp_path / "fewer.gguf"
    fewer.write_bytes(empty_strings(300_000))  # a large real vocabulary's size: read past
    assert read_gguf_header(fewer)["metadata"]["tokenizer.chat_template"] == "{{ messages }}"


def test_facts_are_kept_per_version_of_the_file(tmp_path):
    path = tmp_path / "model.gguf"
    path.write_bytes(gguf_bytes("First", size=8192))
    assert model_facts_of(path)["name"] == "First"
    assert describe_model(path).name == "First"

    path.write_bytes(gguf_bytes("Second", context_length=1024, size=8192))
    os.utime(path, ns=(1, 1))  # same size; another modification time
    facts = model_facts_of(path)
    assert (facts["name"], facts["context_length"], facts["size"]) == ("Second", 1024, 8192)

    path.write_bytes(b"not a model at all")
    with pytest.raises(NotGGUF):
        model_facts_of(path)
    with pytest.raises(NotGGUF):  # remembered as broken, and said again
        model_facts_of(path)


def test_path_of_finds_a_model_by_name(tmp_path):
    catalog = Catalog(tmp_path / "data", tmp_path / "config")
    catalog.folder.mkdir(parents=True)
    (catalog.folder / "good.gguf").write_bytes(gguf_bytes(size=4096))
    (catalog.folder / "bad.gguf").write_bytes(b"nope")
    assert catalog.path_of("builtin/good.gguf") == catalog.folder / "good.gguf"
    assert catalog.path_of("good.gguf") == catalog.folder / "good.gguf"
    assert catalog.path_of("builtin/bad.gguf") is None
    assert catalog.path_of("builtin/missing.gguf") is None
    assert catalog.path_of("builtin/../good.gguf") is None
