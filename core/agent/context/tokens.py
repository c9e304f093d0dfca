"""Token counts without a tokenizer: an estimate from the text, calibrated per provider.

Providers report the real input tokens of each request (``usage``); each report adjusts that
provider's factor (a running average of reported / estimated), so the estimate converges on
the provider's tokenizer without any download. Estimates are kept per message text, so a
5,000-message session is counted once and then looked up.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

MESSAGE_OVERHEAD = 4  # role and separators, per message
# An image part, whatever its pixels: between what OpenAI (85-1,105 for common sizes) and
# Anthropic (about width*height/750, ~1,600 at most before resizing) charge.
IMAGE_TOKENS = 1_000
# A document known only by its attachment record (the meter, before its text is loaded):
# about a token per 4 bytes, up to what Hearth would extract from it.
DOCUMENT_TOKENS_MAX = 50_000
_SYMBOLS = '{}[]":,;()<>=/\\_-.*#`|'
_CACHE_SIZE = 200_000
_cache: OrderedDict[tuple[int, int], int] = OrderedDict()
_cache_lock = threading.Lock()
_factors: dict[str, float] = {}
_factors_lock = threading.Lock()


def estimate_tokens(text: str) -> int:
    """About how many tokens ``text`` is: 4 characters a token for prose, down to about 2.7
    for symbol-dense code and JSON, and more for text outside ASCII."""
    if not text:
        return 0
    length = len(text)
    key = (hash(text), length)
    with _cache_lock:
        found = _cache.get(key)
    if found is not None:
        return found
    sample = text if length <= 4096 else text[:2048] + text[-2048:]
    symbols = sum(sample.count(c) for c in _SYMBOLS) / len(sample)
    spaces = sample.count(" ") / len(sample)
    extra = len(sample.encode()) - len(sample)  # bytes beyond one per character
    per_char = (1 + 2.2 * symbols) / 4.0 + (extra / len(sample)) / 2.5
    if spaces < 0.05:  # long unbroken runs (hashes, base64, minified text) split finely
        per_char *= 1.4
    count = max(1, round(length * per_char))
    with _cache_lock:
        _cache[key] = count
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return count


def message_tokens(message: dict[str, Any]) -> int:
    count = MESSAGE_OVERHEAD + estimate_tokens(str(message.get("content") or ""))
    for call in message.get("tool_calls") or ():
        count += 8 + estimate_tokens(str(call.get("arguments") or ""))
    return count + attachment_tokens(message)


def attachment_tokens(message: dict[str, Any]) -> int:
    """What a user message's attachments weigh: its loaded ``parts`` when it has them (a
    request being planned), else an estimate from its ``attachments`` records."""
    parts = message.get("parts")
    if parts:
        return sum(
            IMAGE_TOKENS if part.get("type") == "image" else estimate_tokens(part.get("text", ""))
            for part in parts
        )
    total = 0
    for attachment in message.get("attachments") or ():
        if str(attachment.get("type", "")).startswith("image/"):
            total += IMAGE_TOKENS
        else:
            total += min(int(attachment.get("size") or 0) // 4, DOCUMENT_TOKENS_MAX)
    return total


def schema_tokens(schemas: Any) -> int:
    return estimate_tokens(json.dumps(schemas)) if schemas else 0


def factor(provider_key: str) -> float:
    """How much this provider's tokens differ from the estimate (1.0 until it reports)."""
    with _factors_lock:
        return _factors.get(provider_key, 1.0)


def calibrate(provider_key: str, estimated: int, reported: int) -> None:
    """A request estimated at ``estimated`` tokens was reported as ``reported``."""
    if estimated < 50 or reported <= 0:
        return  # too small to say anything about the tokenizer
    seen = reported / estimated
    if not 0.5 <= seen <= 2.5:
        return  # not a tokenizer's difference: a cache hit left out, or a server's made-up count
    with _factors_lock:
        old = _factors.get(provider_key)
        _factors[provider_key] = seen if old is None else old * 0.7 + seen * 0.3
