"""A minimal Chrome DevTools Protocol client over the stdlib, for the window's page.

QtWebEngine exposes DevTools when ``QTWEBENGINE_REMOTE_DEBUGGING=127.0.0.1:PORT`` is set, but
it does not support Playwright's browser-context commands; plain CDP works. This speaks just
enough WebSocket (RFC 6455: masked text frames out, unfragmented frames in) for
``Runtime.evaluate`` and ``Input.dispatchMouseEvent``.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import urllib.request
from urllib.parse import urlsplit


class Page:
    def __init__(self, debug_url: str, url_prefix: str) -> None:
        with urllib.request.urlopen(f"{debug_url}/json/list", timeout=10) as answer:
            targets = json.load(answer)
        pages = [t for t in targets if t.get("type") == "page" and t["url"].startswith(url_prefix)]
        if not pages:
            raise LookupError(f"no page at {url_prefix} among {[t['url'] for t in targets]}")
        ws = urlsplit(pages[0]["webSocketDebuggerUrl"])
        self._sock = socket.create_connection((ws.hostname, ws.port), timeout=15)
        key = base64.b64encode(os.urandom(16)).decode()
        self._sock.sendall(
            (
                f"GET {ws.path} HTTP/1.1\r\nHost: {ws.hostname}:{ws.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        response = b""
        while b"\r\n\r\n" not in response:
            response += self._sock.recv(4096)
        head, _, self._buffer = response.partition(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise ConnectionError(head.decode(errors="replace"))
        self._next_id = 0

    def close(self) -> None:
        self._sock.close()

    def call(self, method: str, **params) -> dict:
        self._next_id += 1
        message_id = self._next_id
        self._send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._receive())
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message["result"]

    def evaluate(self, expression: str):
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click (pressed and released) at the middle of ``selector``."""
        box = self.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
            ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                type=kind,
                x=box[0],
                y=box[1],
                button="left",
                clickCount=1,
            )

    def _send(self, text: str) -> None:
        payload = text.encode()
        header = bytearray([0x81])
        if len(payload) < 126:
            header.append(0x80 | len(payload))
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self._sock.sendall(bytes(header) + mask + masked)

    def _read(self, count: int) -> bytes:
        while len(self._buffer) < count:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            self._buffer += chunk
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data

    def _receive(self) -> str:
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._read(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._read(8))
            payload = self._read(length)
            if first & 0x0F == 0x1:
                return payload.decode()
