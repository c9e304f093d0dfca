"""The models page's API on a real ``hearth serve``: the models folder and files added by path,
each described from its GGUF header with the memory it needs; removing; choosing the model new
chats use."""

from __future__ import annotations

import pytest

from tests.fakes.hub_server import gguf_bytes


@pytest.fixture
def hearth(start_server, tmp_path):
    models = tmp_path / "data" / "models"
    models.mkdir(parents=True)
    (models / "folder-model.gguf").write_bytes(gguf_bytes("Folder Model", size=50_000))
    (models / "notes.txt").write_text("not a model")
    (models / "half.gguf.part").write_bytes(b"GGUF")
    return start_server(tmp_path / "data", fake=None)


def models_of(hearth) -> dict[str, dict]:
    answer = hearth.client.get("/api/models")
    assert answer.status_code == 200, answer.text
    return {m["file"]: m for m in answer.json()["models"]}


def test_models_are_described_from_their_headers(hearth, tmp_path):
    answer = hearth.client.get("/api/models").json()
    assert answer["folder"] == str(hearth.data_dir / "models")
    assert answer["memory"]["available"] > 0 and answer["memory"]["total"] > 0
    assert {s["repo"] for s in answer["suggestions"]} >= {"bartowski/Llama-3.2-1B-Instruct-GGUF"}
    assert all(s["file"].endswith(".gguf") and s["size"] > 0 for s in answer["suggestions"])

    listed = models_of(hearth)
    assert "notes.txt" not in listed and "half.gguf.part" not in listed
    model = listed["folder-model.gguf"]
    assert model["id"] == "builtin/folder-model.gguf"
    assert model["source"] == "folder"
    assert model["name"] == "Folder Model"
    assert model["size"] == 50_000
    assert model["quantization"] == "Q4_K_M"
    assert model["context_length"] == 8192
    assert model["architecture"] == "llama"
    assert model["memory_needed"] > model["size"]
    assert model["problem"] is None


def test_a_file_added_by_path_is_listed_forgotten_and_kept(hearth, start_server, tmp_path):
    outside = tmp_path / "elsewhere" / "Mine-Q8_0.gguf"
    outside.parent.mkdir()
    outside.write_bytes(gguf_bytes("Mine", file_type=7, context_length=32768, size=10_000))

    added = hearth.client.post("/api/models", json={"path": str(outside)})
    assert added.status_code == 201, added.text
    assert added.json()["quantization"] == "Q8_0" and added.json()["source"] == "added"
    assert models_of(hearth)["Mine-Q8_0.gguf"]["context_length"] == 32768

    again = hearth.client.post("/api/models", json={"path": str(outside)})
    assert again.status_code == 409 and "already" in again.json()["error"]["message"]

    assert hearth.client.delete("/api/models/Mine-Q8_0.gguf").status_code == 204
    assert "Mine-Q8_0.gguf" not in models_of(hearth)
    assert outside.exists()  # the user's own file is never deleted

    # kept across a restart
    assert hearth.client.post("/api/models", json={"path": str(outside)}).status_code == 201
    hearth.stop()
    again = start_server(hearth.data_dir, fake=None)
    assert models_of(again)["Mine-Q8_0.gguf"]["source"] == "added"


def test_bad_files_are_refused_with_a_sentence(hearth, tmp_path):
    text = tmp_path / "fake.gguf"
    text.write_text("hello, I am not a model")
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(gguf_bytes(size=4096)[:30])
    for path, words in (
        ("relative/model.gguf", "full path"),
        (str(tmp_path / "missing.gguf"), "no file"),
        (str(tmp_path), "not a .gguf"),
        (str(text), "not a GGUF"),
        (str(cut), "cut short"),
        (None, "full path"),
    ):
        answer = hearth.client.post("/api/models", json={"path": path})
        assert answer.status_code == 400, (path, answer.text)
        assert words in answer.json()["error"]["message"], answer.text
    assert hearth.client.delete("/api/models/nothing.gguf").status_code == 404


def test_use_a_model_for_new_chats_and_delete_it(hearth):
    used = hearth.client.post("/api/models/folder-model.gguf/use")
    assert used.status_code == 200, used.text
    settings = hearth.client.get("/api/settings").json()
    assert settings["local_model"] == "folder-model.gguf"
    assert settings["last_model"] == "builtin/folder-model.gguf"
    assert hearth.client.get("/api/models").json()["local_model"] == "folder-model.gguf"

    assert hearth.client.delete("/api/models/folder-model.gguf").status_code == 204
    assert not (hearth.data_dir / "models" / "folder-model.gguf").exists()
    settings = hearth.client.get("/api/settings").json()
    assert settings["local_model"] is None and settings["last_model"] is None


def test_an_unreadable_file_in_the_folder_is_listed_with_its_problem(hearth):
    (hearth.data_dir / "models" / "broken.gguf").write_bytes(b"PK\x03\x04 a zip")
    broken = models_of(hearth)["broken.gguf"]
    assert "not a GGUF" in broken["problem"]
    refused = hearth.client.post("/api/models/broken.gguf/use")
    assert refused.status_code == 400 and "not a GGUF" in refused.json()["error"]["message"]
