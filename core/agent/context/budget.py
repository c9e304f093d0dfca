"""What a turn needs to keep its requests inside the model's window."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.agent.context.plan import DEFAULT_THRESHOLD

SaveSummary = Callable[[str, str], dict[str, Any]]  # (text, covers_id) -> the stored summary


@dataclass
class Budget:
    window: int | None
    threshold: float = DEFAULT_THRESHOLD
    provider_key: str = ""  # whose tokenizer the calibration factor is for
    save_summary: SaveSummary | None = None  # None: this turn may not compact
    price: tuple[float, float] | None = None  # US dollars per million tokens (input, output)
