"""A local HTTP server that answers like the Hugging Face hub, for model download tests.

``/{repo}/resolve/main/{file}`` answers 302 to a CDN path with the hub's headers
(``X-Linked-Etag`` holding the file's SHA-256, quoted; ``X-Linked-Size``; ``X-Repo-Commit``),
the way huggingface_hub's ``get_hf_file_metadata`` reads them; ``/cdn/...`` serves the bytes
with ``Range`` support. A test can cut the next answers short, hold an answer after some bytes
until it lets go, and publish a wrong checksum. Every request is recorded.

``gguf_bytes`` makes a small but well-formed GGUF file (header, then padding).
"""

from __future__ import annotations

import hashlib
import re
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def gguf_bytes(
    name: str = "Tiny Test Model",
    arch: str = "llama",
    file_type: int = 15,
    context_length: int = 8192,
    size: int = 4096,
) -> bytes:
    """A GGUF v3 file of ``size`` bytes: metadata like a real model's, no real tensors."""

    def string(text: str) -> bytes:
        data = text.encode()
        return struct.pack("<Q", len(data)) + data

    def kv(key: str, kind: int, value: bytes) -> bytes:
        return string(key) + struct.pack("<I", kind) + value

    u32 = lambda n: struct.pack("<I", n)  # noqa: E731
    pairs = [
        kv("general.architecture", 8, string(arch)),
        kv("general.name", 8, string(name)),
        kv("general.file_type", 4, u32(file_type)),
        # an array of strings, as the tokenizer has, to be read past
        kv(
            "tokenizer.ggml.tokens",
            9,
            u32(8) + struct.pack("<Q", 3) + b"".join(string(t) for t in ("<s>", "</s>", "hello")),
        ),  # fmt: skip
        kv(f"{arch}.context_length", 4, u32(context_length)),
        kv(f"{arch}.block_count", 4, u32(4)),
        kv(f"{arch}.embedding_length", 4, u32(256)),
        kv(f"{arch}.attention.head_count", 4, u32(8)),
        kv(f"{arch}.attention.head_count_kv", 4, u32(2)),
    ]
    header = b"GGUF" + u32(3) + struct.pack("<QQ", 0, len(pairs)) + b"".join(pairs)
    if size < len(header):
        raise ValueError("size is smaller than the header")
    filler = bytes(range(256)) * (size // 256 + 1)
    return header + filler[: size - len(header)]


@dataclass
class HubRequest:
    method: str
    path: str
    range: str | None


@dataclass
class HubFile:
    data: bytes
    published_sha256: str | None = None  # what the hub says; the real one when None
    gated: bool = False

    @property
    def sha256(self) -> str:
        return self.published_sha256 or hashlib.sha256(self.data).hexdigest()


@dataclass
class _Cut:
    after: int  # bytes sent before the connection is closed


@dataclass
class _Hold:
    after: int
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class FakeHub:
    """Serves ``files`` ({"owner/repo/file.gguf": HubFile}); use as a context manager."""

    def __init__(self) -> None:
        self.files: dict[str, HubFile] = {}
        self.requests: list[HubRequest] = []
        self.lock = threading.Lock()
        self._cuts: list[_Cut] = []
        self._holds: list[_Hold] = []
        self.chunk = 64 * 1024
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        for hold in self._holds:
            hold.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def add(self, repo: str, file: str, data: bytes, **kwargs) -> HubFile:
        hub_file = HubFile(data, **kwargs)
        self.files[f"{repo}/{file}"] = hub_file
        return hub_file

    def cut_next(self, after: int) -> None:
        """The next file answer closes its connection after ``after`` bytes."""
        with self.lock:
            self._cuts.append(_Cut(after))

    def hold_next(self, after: int) -> _Hold:
        """The next file answer stops after ``after`` bytes until ``release`` is set."""
        hold = _Hold(after)
        with self.lock:
            self._holds.append(hold)
        return hold

    def file_requests(self) -> list[HubRequest]:
        return [r for r in self.requests if r.path.startswith("/cdn/") and r.method == "GET"]


def _handler(hub: FakeHub):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *args) -> None:
            pass

        def do_HEAD(self) -> None:
            self._answer(head=True)

        def do_GET(self) -> None:
            self._answer(head=False)

        def _answer(self, head: bool) -> None:
            hub.requests.append(HubRequest(self.command, self.path, self.headers.get("Range")))
            resolve = re.fullmatch(r"/(.+)/resolve/main/(.+)", self.path)
            if resolve:
                self._resolve(resolve.group(1) + "/" + resolve.group(2))
            elif self.path.startswith("/cdn/"):
                self._serve(self.path[len("/cdn/") :].split("?")[0], head)
            else:
                self._status(404)

        def _resolve(self, key: str) -> None:
            hub_file = hub.files.get(key)
            if hub_file is None:
                return self._status(404, {"X-Error-Code": "EntryNotFound"})
            if hub_file.gated:
                return self._status(401, {"X-Error-Code": "GatedRepo"})
            self.send_response(302)
            self.send_header("Location", f"/cdn/{key}?X-Amz-Signature=abc")
            self.send_header("X-Linked-Etag", f'"{hub_file.sha256}"')
            self.send_header("X-Linked-Size", str(len(hub_file.data)))
            self.send_header("X-Repo-Commit", "0" * 40)
            self.send_header("ETag", '"5d41402abc4b2a76b9719d911017c592"')  # git's, not the file's
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _serve(self, key: str, head: bool) -> None:
            hub_file = hub.files.get(key)
            if hub_file is None:
                return self._status(404)
            data, start = hub_file.data, 0
            wanted = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
            if wanted:
                start = int(wanted.group(1))
                if start >= len(data):
                    return self._status(416, {"Content-Range": f"bytes */{len(data)}"})
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            if head:
                return
            with hub.lock:
                cut = hub._cuts.pop(0) if hub._cuts else None
                hold = hub._holds.pop(0) if hub._holds else None
            sent = 0
            body = memoryview(data)[start:]
            while sent < len(body):
                if cut is not None and sent >= cut.after:
                    self.wfile.flush()
                    self.connection.shutdown(2)  # cut mid-file, as a dropped network would
                    return
                if hold is not None and sent >= hold.after and not hold.release.is_set():
                    self.wfile.flush()
                    hold.reached.set()
                    hold.release.wait(60)
                step = hub.chunk
                for limit in (cut.after if cut else None, hold.after if hold else None):
                    if limit is not None and sent < limit:
                        step = min(step, limit - sent)
                try:
                    self.wfile.write(body[sent : sent + step])
                except OSError:
                    return
                sent += step

        def _status(self, code: int, headers: dict | None = None) -> None:
            self.send_response(code)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler
