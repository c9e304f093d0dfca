"""Which models take images: a per-model override, what the provider says, else a table.

True: it takes images; False: it is known not to (a message with an image is refused before
sending, naming the model); None: unknown (the image is sent, and a refusal from the
provider becomes a sentence). In order:

1. the ``model_images`` setting, an object of model name (as the picker shows it) to true
   or false (set in the chat's context menu);
2. what an OpenAI-compatible server says of the model, asked once per server and model in
   this process, only when an image is to be sent: OpenRouter's model list
   (``architecture.input_modalities``), Ollama's ``/api/show`` (``capabilities``), LM
   Studio's ``/api/v0/models/{model}`` (``type`` "vlm" or "llm"), llama.cpp's ``/props``
   (``modalities.vision``);
3. the table below of well-known models. The built-in model takes none.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

_said: dict[tuple[str, str], bool | None] = {}  # (base_url, model) -> what the server said
_lock = threading.Lock()

_TAKES = re.compile(
    r"(gpt-4o|gpt-4\.1|gpt-4-turbo|gpt-5|chatgpt-4o|^o1$|^o1-20|^o3$|^o3-20|o3-pro|o4-mini"
    r"|claude-3|claude-(sonnet|opus|haiku)-4|claude-.*-4-|gemini|llava|bakllava|moondream"
    r"|vision|-vl\b|-vl-|pixtral|gemma-?3|llama-?4|grok-.*vision|minicpm-v|mistral-(small|medium)-3"
    r")",
    re.IGNORECASE,
)
_REFUSES = re.compile(
    r"(gpt-3\.5|^o1-mini|^o3-mini|text-davinci|deepseek-(chat|coder|reasoner|r1)|smollm"
    r"|^llama-?3(\.[0-3])?[:-]|^llama2|mixtral|codellama|qwen2?\.?5?-coder|phi-?[34]-mini)",
    re.IGNORECASE,
)


def takes_images(
    model: str,
    overrides: Mapping[str, Any] | None = None,
    config: Any = None,
    probe: bool = False,
) -> bool | None:
    override = (overrides or {}).get(model)
    if isinstance(override, bool):
        return override
    if getattr(config, "kind", "") == "local":
        return False  # the built-in model reads text only
    if probe and getattr(config, "kind", "") == "openai":
        said = provider_says(config, model)
        if said is not None:
            return said
    return known(model)


def known(model: str) -> bool | None:
    """What the table says of ``model``."""
    bare = model.rsplit("/", 1)[-1]  # "openai/gpt-4o" as OpenRouter names it
    if _REFUSES.search(bare):
        return False
    if _TAKES.search(bare):
        return True
    return None


def provider_says(config: Any, model: str) -> bool | None:
    """What the server at ``config.base_url`` says (asked once per server and model)."""
    key = (str(getattr(config, "base_url", "") or ""), model)
    with _lock:
        if key in _said:
            return _said[key]
    said = _ask(config, model)
    with _lock:
        _said[key] = said
    return said


def _ask(config: Any, model: str) -> bool | None:
    from core.agent.providers.model_info import ask_about_model

    return ask_about_model(config, model, _images_in, timeout=1.5)


def _images_in(data: Any, model: str) -> bool | None:
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("data"), list):  # OpenRouter's model list
        for entry in data["data"]:
            if isinstance(entry, dict) and entry.get("id") == model:
                modalities = (entry.get("architecture") or {}).get("input_modalities")
                return "image" in modalities if isinstance(modalities, list) else None
        return None
    if isinstance(data.get("capabilities"), list):  # Ollama /api/show
        return "vision" in data["capabilities"]
    if data.get("type") in ("vlm", "llm"):  # LM Studio
        return data["type"] == "vlm"
    modalities = data.get("modalities")  # llama.cpp /props
    if isinstance(modalities, dict) and isinstance(modalities.get("vision"), bool):
        return modalities["vision"]
    return None
