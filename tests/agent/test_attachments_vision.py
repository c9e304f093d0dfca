"""Which models take images: the override, what a real local HTTP server says in each known
shape (Ollama, LM Studio, llama.cpp, OpenRouter), the table; asked once, only for images."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.agent.attachments import vision
from core.agent.attachments.parts import with_parts
from core.agent.providers import ProviderConfig


class ModelInfo:
    """A server answering one path with one JSON body (404 elsewhere); counts requests."""

    def __init__(self, path: str, body: dict) -> None:
        self.asked: list[str] = []
        info = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def answer(self) -> None:
                info.asked.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                found = self.path == path
                data = json.dumps(body if found else {"error": "no"}).encode()
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/api/show", {"capabilities": ["completion", "vision"]}, True),
        ("/api/show", {"capabilities": ["completion", "tools"]}, False),
        ("/api/v0/models/m", {"id": "m", "type": "vlm"}, True),
        ("/api/v0/models/m", {"id": "m", "type": "llm"}, False),
        ("/props", {"modalities": {"vision": True, "audio": False}}, True),
    ],
)
def test_what_a_server_says_of_its_model_is_believed_and_asked_once(path, body, expected):
    server = ModelInfo(path, body)
    try:
        config = ProviderConfig(kind="openai", base_url=server.url)
        assert vision.takes_images("m", None, config, probe=True) is expected
        asked = len(server.asked)
        assert vision.takes_images("m", None, config, probe=True) is expected
        assert len(server.asked) == asked  # remembered
    finally:
        server.close()


def test_the_override_wins_then_the_table_then_unknown():
    overrides = {"my-llava": False, "odd": True}
    assert vision.takes_images("my-llava", overrides) is False
    assert vision.takes_images("odd", overrides) is True
    assert vision.takes_images("gpt-4o-mini", overrides) is True
    assert vision.takes_images("anthropic/claude-sonnet-4-5", overrides) is True
    assert vision.takes_images("gpt-3.5-turbo", overrides) is False
    assert vision.takes_images("deepseek-chat", overrides) is False
    assert vision.takes_images("some-new-model", overrides) is None
    assert vision.takes_images("gpt-4o", overrides, ProviderConfig(kind="local")) is False


def test_a_server_that_says_nothing_leaves_it_to_the_table():
    server = ModelInfo("/elsewhere", {})
    try:
        config = ProviderConfig(kind="openai", base_url=server.url)
        assert vision.takes_images("gpt-4o", None, config, probe=True) is True
        assert vision.takes_images("mystery", None, config, probe=True) is None
    finally:
        server.close()


def test_the_model_is_asked_only_when_an_image_is_sent(store):
    import io

    from tests.fakes.attachment_files import png

    doc = store.add_attachment(io.BytesIO(b"words"), "a.txt", "text/plain", limit=1024)
    image = store.add_attachment(io.BytesIO(png()), "a.png", "image/png", limit=1024)
    asked = []

    def ask():
        asked.append(1)
        return False

    history = [{"role": "user", "content": "read", "attachments": [doc]}]
    parts = with_parts(store, history, ask)[0]["parts"]
    assert asked == [] and "words" in parts[0]["text"]
    history.append({"role": "user", "content": "see", "attachments": [image, image]})
    parts = with_parts(store, history, ask)[1]["parts"]
    assert asked == [1]  # once for both images
    assert parts[0] == {"type": "text", "text": "[Image a.png: this model does not take images.]"}
