"""Which models take images: a per-model override, else a table of well-known models.

True: it takes images; False: it is known not to (a message with an image is refused before
sending, naming the model); None: unknown (the image is sent, and a refusal from the
provider becomes a sentence). The override is ``CONFIG/model_images.json``, an object of
model name (as the model list shows it) to true or false.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

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


def takes_images(model: str, config_dir: Path | None = None) -> bool | None:
    override = _override(model, config_dir)
    if override is not None:
        return override
    bare = model.rsplit("/", 1)[-1]  # "openai/gpt-4o" as OpenRouter names it
    if _REFUSES.search(bare):
        return False
    if _TAKES.search(bare):
        return True
    return None


def _override(model: str, config_dir: Path | None) -> bool | None:
    if config_dir is None:
        return None
    try:
        table = json.loads((config_dir / "model_images.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = table.get(model) if isinstance(table, dict) else None
    return value if isinstance(value, bool) else None
