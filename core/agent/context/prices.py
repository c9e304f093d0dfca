"""What a model's tokens cost, in US dollars per million tokens (input, output).

In order: the user's table (Settings ``prices``: ``{"model": {"input": 2.5, "output": 10}}``),
what OpenRouter's model list said, then the list prices below of well-known hosted models
(longest matching prefix; a "vendor/" prefix is ignored). Unknown: no cost is shown.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

KNOWN_PRICES: dict[str, tuple[float, float]] = {
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "o4-mini": (1.10, 4.40),
    "o3": (2.00, 8.00),
    "claude-opus-4-1": (15.00, 75.00),
    "claude-opus-4-0": (15.00, 75.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-haiku-4-5": (1.00, 5.00),
}

_reported: dict[str, tuple[float, float]] = {}
_lock = threading.Lock()


def remember_price(model: str, per_million: tuple[float, float]) -> None:
    with _lock:
        _reported[model] = per_million


def price_for(model: str, overrides: Mapping[str, Any] | None = None) -> tuple[float, float] | None:
    own = (overrides or {}).get(model)
    if isinstance(own, Mapping):
        return float(own.get("input") or 0), float(own.get("output") or 0)
    with _lock:
        if model in _reported:
            return _reported[model]
    name = model.rsplit("/", 1)[-1].lower()
    best = max((p for p in KNOWN_PRICES if name.startswith(p)), key=len, default=None)
    return KNOWN_PRICES[best] if best else None


def cost(input_tokens: int, output_tokens: int, price: tuple[float, float]) -> float:
    return round((input_tokens * price[0] + output_tokens * price[1]) / 1_000_000, 6)
