"""Find model servers running on this machine, to offer them as providers.

Each known server is probed once, all in parallel, on loopback with a short timeout.
Only servers that answer with a model list become suggestions; nothing is added to the
settings here. Plain ``http.client`` is used on purpose: no proxy settings apply, and no
SDK is imported.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LocalServer:
    name: str
    port: int
    paths: tuple[str, ...] = ("/v1/models",)  # tried in order until one lists models
    host: str = "127.0.0.1"


KNOWN_SERVERS: tuple[LocalServer, ...] = (
    LocalServer("Ollama", 11434, ("/v1/models", "/api/tags")),
    LocalServer("LM Studio", 1234),
    LocalServer("llama.cpp", 8080),
    LocalServer("llama-cpp-python or vLLM", 8000),
    LocalServer("Jan", 1337),
    LocalServer("KoboldCpp", 5001),
)


def detect_local_servers(
    timeout: float = 0.3, *, servers: Sequence[LocalServer] = KNOWN_SERVERS
) -> list[dict[str, Any]]:
    """``{"name", "kind": "openai", "base_url", "models"}`` for each server that answers."""
    if not servers:
        return []
    with ThreadPoolExecutor(max_workers=len(servers), thread_name_prefix="hearth-detect") as pool:
        found = list(pool.map(lambda server: _probe(server, timeout), servers))
    return [suggestion for suggestion in found if suggestion is not None]


def _probe(server: LocalServer, timeout: float) -> dict[str, Any] | None:
    for path in server.paths:
        models = _models(server, path, timeout)
        if models is not None:
            return {
                "name": server.name,
                "kind": "openai",
                "base_url": f"http://{server.host}:{server.port}/v1",
                "models": models,
            }
    return None


def _models(server: LocalServer, path: str, timeout: float) -> list[str] | None:
    """The models the server lists at ``path``; None if it does not answer so."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Accept": "application/json"})
        response = connection.getresponse()
        if response.status != 200:
            return None
        body = json.loads(response.read(1_000_000))
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        connection.close()
    return _model_names(body)


def _model_names(body: Any) -> list[str] | None:
    """Names from an OpenAI list ({"data": [{"id"}]}) or Ollama's tags ({"models": [{"name"}]})."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("data"), list):
        items, key = body["data"], "id"
    elif isinstance(body.get("models"), list):
        items, key = body["models"], "name"
    else:
        return None
    names = [i[key] for i in items if isinstance(i, dict) and isinstance(i.get(key), str)]
    return sorted(set(names))
