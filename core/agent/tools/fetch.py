"""fetch_url: a web page or text file as text, with the network guarded.

Each hop (the first URL and every redirect) is resolved once and checked by ``netguard``;
the request then goes to the checked IP address itself, with the original ``Host`` header and,
for https, the original name as SNI and for certificate checking. Redirects are followed by
hand, at most ``ctx.max_redirects``, each one checked again.
"""

from __future__ import annotations

import codecs
import ipaddress
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ...version import __version__
from .base import Tool, ToolContext, ToolError, ToolResult
from .html_text import html_to_text
from .netguard import IPAddress, checked_address
from .textfile import looks_binary

if TYPE_CHECKING:  # httpx2 is imported when a fetch happens, keeping ``import core`` cheap
    import httpx2

_T = TypeVar("_T")

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/javascript",
        "application/ecmascript",
        "application/x-yaml",
        "application/yaml",
        "application/toml",
        "application/x-sh",
        "application/sql",
        "application/graphql",
        "application/ld+json",
        "application/rss+xml",
        "application/atom+xml",
    }
)
UNKNOWN_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


@dataclass
class _Page:
    url: str
    status: int
    reason: str
    content_type: str
    text: str
    size: int
    truncated: bool


class FetchUrl(Tool):
    name = "fetch_url"
    read_only = False
    description = (
        "Fetch an http or https URL and return its content as text: HTML pages become "
        "readable text (headings, paragraphs, lists, links as 'text (url)'; scripts, styles "
        "and navigation dropped); JSON, XML and other text come back as they are. Images, "
        "PDFs and other binary content are refused. At most 2 MB are downloaded and the "
        "request gives up after 20 seconds; up to 5 redirects are followed. Local and private "
        "network addresses are refused."
    )
    parameters = {
        "type": "object",
        "properties": {
            "url": {"type": "string", "description": "The http:// or https:// URL to fetch."},
        },
        "required": ["url"],
        "additionalProperties": False,
    }

    def summary(self, args: Mapping[str, Any]) -> str:
        return f"Fetch {args.get('url', '')}"

    def refusal(self, args: Mapping[str, Any], ctx: ToolContext) -> str | None:
        """A URL that is not http(s), or whose host is a local, private or Hearth's own
        address written out (or ``localhost``), is refused before the user is asked. A host
        name is not looked up before the user allows the fetch: its DNS servers would learn
        the name the model chose (a way out for data); run() checks where it connects."""

        def check(_stop: threading.Event) -> None:
            url = _parse(args["url"])
            if _is_address(url.host) or url.host == "localhost":
                _address(url, ctx)

        try:
            _in_thread(check, ctx)
        except ToolError as exc:
            return exc.message
        return None

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        page = _in_thread(lambda stop: _fetch(args["url"], ctx, stop), ctx)
        head = [f"URL: {page.url}"]
        if page.status != 200:
            head.append(f"Status: {page.status} {page.reason}".rstrip())
        head.append(f"Content-Type: {page.content_type or 'unknown'}")
        if page.truncated:
            head.append(
                f"[download stopped at {ctx.fetch_max_bytes:,} bytes; the rest is not shown]"
            )
        body = page.text.strip() or "(no text content)"
        output = "\n".join(head) + "\n\n" + body
        return ToolResult(ok=200 <= page.status < 300, output=output)


def _in_thread(work: Callable[[threading.Event], _T], ctx: ToolContext) -> _T:
    """Run ``work(stop)`` in a thread; give up at once (and tell it to stop) on cancel."""
    stop = threading.Event()
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = work(stop)
        except BaseException as exc:  # handed to the caller's thread below
            outcome["error"] = exc
        finally:
            done.set()

    def cancelled() -> None:
        stop.set()
        done.set()

    threading.Thread(target=target, name="fetch_url", daemon=True).start()
    unsubscribe = ctx.cancel.on_cancel(cancelled)
    try:
        done.wait()
    finally:
        unsubscribe()
    if ctx.cancel.is_set():
        raise ToolError("the fetch was cancelled")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _fetch(url: str, ctx: ToolContext, stop: threading.Event) -> _Page:
    import httpx2

    try:
        return _follow(url, ctx, stop)
    except httpx2.TimeoutException as exc:
        raise ToolError(f"{url} did not answer within {ctx.fetch_timeout:g} seconds") from exc
    except httpx2.HTTPError as exc:
        raise ToolError(f"could not fetch {url}: {exc or type(exc).__name__}") from exc


def _follow(url: str, ctx: ToolContext, stop: threading.Event) -> _Page:
    import httpx2

    deadline = time.monotonic() + ctx.fetch_timeout
    timeout = httpx2.Timeout(ctx.fetch_timeout, connect=min(10.0, ctx.fetch_timeout))
    with httpx2.Client(follow_redirects=False, trust_env=False, timeout=timeout) as client:
        current = _parse(url)
        for _hop in range(ctx.max_redirects + 1):
            if time.monotonic() > deadline or stop.is_set():
                raise ToolError(f"{url} took longer than {ctx.fetch_timeout:g} seconds")
            request = _pinned_request(client, current, ctx)
            response = client.send(request, stream=True)
            try:
                if response.is_redirect and "location" in response.headers:
                    current = _parse(str(current.join(response.headers["location"])))
                    continue
                return _read(response, current, ctx, stop, deadline)
            finally:
                response.close()
    raise ToolError(f"too many redirects (more than {ctx.max_redirects})")


def _parse(url: str) -> httpx2.URL:
    import httpx2

    try:
        parsed = httpx2.URL(url.strip())
    except (httpx2.InvalidURL, TypeError, ValueError) as exc:
        raise ToolError(f"{url!r} is not a valid URL") from exc
    if parsed.scheme not in ("http", "https"):
        shown = f"{parsed.scheme}:// URLs" if parsed.scheme else "URLs without http(s)://"
        raise ToolError(f"only http and https URLs can be fetched, not {shown}")
    if not parsed.host:
        raise ToolError(f"{url!r} has no host")
    return parsed


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _address(url: httpx2.URL, ctx: ToolContext) -> IPAddress:
    """The checked address to connect to for ``url``'s host (ToolError when not allowed)."""
    port = url.port or (443 if url.scheme == "https" else 80)
    return checked_address(
        url.raw_host.decode("ascii"),
        port,
        allow_private=ctx.allow_private_network,
        blocked_pairs=ctx.blocked_addresses,
    )


def _pinned_request(client: httpx2.Client, url: httpx2.URL, ctx: ToolContext) -> httpx2.Request:
    host = url.raw_host.decode("ascii")
    address = _address(url, ctx)
    extensions = {"sni_hostname": host} if url.scheme == "https" else {}
    return client.build_request(
        "GET",
        url.copy_with(host=str(address)),
        headers={
            "Host": url.netloc.decode("ascii"),
            "User-Agent": f"Hearth/{__version__} (fetch_url)",
            "Accept": "text/html,text/plain,application/json,text/*;q=0.9,*/*;q=0.5",
        },
        extensions=extensions,
    )


def _read(
    response: httpx2.Response,
    url: httpx2.URL,
    ctx: ToolContext,
    stop: threading.Event,
    deadline: float,
) -> _Page:
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    textual = _is_text_type(content_type)
    if not textual and content_type not in UNKNOWN_TYPES:
        raise ToolError(
            f"{url} returned {content_type}, which is not text; fetch_url only reads text and HTML"
        )
    body = bytearray()
    truncated = False
    for chunk in response.iter_bytes():
        if stop.is_set() or ctx.cancel.is_set():
            raise ToolError("the fetch was cancelled")
        if time.monotonic() > deadline:
            raise ToolError(f"{url} took longer than {ctx.fetch_timeout:g} seconds")
        body += chunk
        if len(body) > ctx.fetch_max_bytes:
            del body[ctx.fetch_max_bytes :]
            truncated = True
            break
    if not textual and looks_binary(bytes(body[:8192])):
        raise ToolError(f"{url} returned binary content; fetch_url only reads text and HTML")
    text = bytes(body).decode(_encoding(response), errors="replace")
    if content_type in HTML_TYPES or (not content_type and "<html" in text[:2048].lower()):
        text = html_to_text(text, str(url))
    return _Page(
        url=str(url),
        status=response.status_code,
        reason=response.reason_phrase,
        content_type=content_type,
        text=text,
        size=len(body),
        truncated=truncated,
    )


def _encoding(response: httpx2.Response) -> str:
    name = response.charset_encoding or "utf-8"
    try:
        codecs.lookup(name)
    except LookupError:
        return "utf-8"
    return name


def _is_text_type(content_type: str) -> bool:
    return (
        content_type.startswith("text/")
        or content_type in HTML_TYPES
        or content_type in TEXT_TYPES
        or content_type.endswith(("+json", "+xml"))
    )
