"""The one check of an http(s) address a user gives Hearth (a provider, a download, an MCP
server): text Hearth can parse, with a host, no spaces or control characters."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

from core.errors import InvalidInput

_ODD = re.compile(r"[\x00-\x20\x7f]")


def http_url(value: object, what: str, example: str, limit: int = 2000) -> SplitResult:
    """``value`` split into its parts; InvalidInput naming ``what`` when it is not an http(s)
    URL with a host (an unclosed IPv6 bracket, a port that is not a number in range, ...)."""
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidInput(f"{what} must be an http(s) address, like {example}.")
    url = value.strip()
    shown = url[:80]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
        host = parts.hostname
    except ValueError:
        raise InvalidInput(
            f"{what} {shown!r} is not an address Hearth can read (check the host's brackets "
            f"and the port); it should look like {example}."
        ) from None
    if parts.scheme not in ("http", "https") or not host or _ODD.search(url):
        raise InvalidInput(f"{what} {shown!r} is not an http(s) address, like {example}.")
    return parts
