"""Local model servers found on loopback, offered as suggestions only."""

from __future__ import annotations

import json
import socket
import time

from core.settings import KNOWN_SERVERS, LocalServer, detect_local_servers
from tests.agent.conftest_tools import page, serving


def json_page(value, status: int = 200):
    return page(json.dumps(value), content_type="application/json", status=status)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_known_servers_are_the_usual_local_runtimes_on_their_usual_ports():
    assert {(s.name, s.port) for s in KNOWN_SERVERS} == {
        ("Ollama", 11434),
        ("LM Studio", 1234),
        ("llama.cpp", 8080),
        ("llama-cpp-python or vLLM", 8000),
        ("Jan", 1337),
        ("KoboldCpp", 5001),
    }


def test_a_server_listing_models_is_suggested(tmp_path):
    models = {"object": "list", "data": [{"id": "qwen2.5:7b"}, {"id": "llama3.2"}]}
    with serving({"/v1/models": json_page(models)}) as server:
        found = detect_local_servers(servers=[LocalServer("LM Studio", server.port)])

    assert found == [
        {
            "name": "LM Studio",
            "kind": "openai",
            "base_url": f"http://127.0.0.1:{server.port}/v1",
            "models": ["llama3.2", "qwen2.5:7b"],
        }
    ]


def test_ollamas_own_model_list_is_the_fallback():
    tags = {"models": [{"name": "mistral:latest", "size": 1}]}
    with serving({"/api/tags": json_page(tags)}) as server:
        found = detect_local_servers(
            servers=[LocalServer("Ollama", server.port, ("/v1/models", "/api/tags"))]
        )

    assert [(f["name"], f["models"]) for f in found] == [("Ollama", ["mistral:latest"])]
    assert found[0]["base_url"].endswith("/v1")


def test_closed_ports_and_other_web_servers_are_not_suggested():
    with serving({"/v1/models": page("<html>a router admin page</html>")}) as other:
        servers = [
            LocalServer("A", closed_port()),
            LocalServer("B", closed_port()),
            LocalServer("C", other.port),
        ]
        started = time.monotonic()
        assert detect_local_servers(servers=servers) == []
        assert time.monotonic() - started < 1.0


def test_a_server_that_never_answers_costs_only_the_timeout():
    with socket.socket() as silent:  # accepts connections (the kernel does) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        with serving({"/v1/models": json_page({"data": [{"id": "m"}]})}) as good:
            started = time.monotonic()
            found = detect_local_servers(
                timeout=0.3, servers=[LocalServer("Silent", port), LocalServer("Good", good.port)]
            )
            took = time.monotonic() - started

    assert [f["name"] for f in found] == ["Good"]
    assert took < 1.0
