"""A real local HTTP server that plays a model service, driven by the test.

Subclasses say how a Reply looks on their wire (``frames``); this module runs
the server on 127.0.0.1 (port 0) in a background thread, queues scripts, records
every request, and streams frames with chunked transfer encoding so that a cut
connection looks cut to the client. It does not depend on pytest.
"""

from __future__ import annotations

import dataclasses
import json
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from core.agent.titles import TITLE_SYSTEM

from .scripts import Failure, Reply

_POLL = 0.02


@dataclass
class Frame:
    data: bytes
    content: bool = False  # carries reasoning, text or argument pieces


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = None
    finished: threading.Event = field(default_factory=threading.Event)
    disconnected: threading.Event = field(default_factory=threading.Event)


class FakeModelServer:
    """Base class; see FakeOpenAIServer and FakeAnthropicServer."""

    wire = ""  # "openai" or "anthropic": the provider kind that speaks to it
    completion_suffix = ""  # path ending of the model endpoint
    url_suffix = ""  # what base_url adds to the root URL

    def __init__(self, models: list[str] | None = None) -> None:
        self.models: list[str] | None = models or ["fake-model", "fake-model-large"]
        self.default_reply = Reply(text="Hello from the fake model.")
        self.requests: list[RecordedRequest] = []
        # A context window enforced at the wire, like a real server: a request over it gets
        # the wire's own "too long" error; one under it reports its size as input tokens.
        self.window_tokens: int | None = None
        self.counted: list[int] = []  # the size of each model request, when a window is set
        # Answers by request when no script is queued: responder(request json) -> Reply.
        self.responder: Callable[[Any], Reply | Failure] | None = None
        self.props: Any = None  # llama.cpp's GET /props answer, when set
        self._scripts: deque[Reply | Failure] = deque()
        # Hearth asks for a chat's title after its first answer: those requests are answered
        # from their own queue (then ``title_reply``) and kept out of ``model_requests``, so a
        # test's scripts go to the runs it means them for.
        self.title_reply: Reply | Failure = Failure(400, "This fake names no chats unless told.")
        self._title_scripts: deque[Reply | Failure] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._handlers: set[threading.Thread] = set()
        self._httpd = _Server(("127.0.0.1", 0), _handler_for(self), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fake-llm-server",
            daemon=True,
        )
        self._thread.start()

    # --- what the test uses -------------------------------------------------

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The URL to put in a provider's settings."""
        return self.root_url + self.url_suffix

    def reply(self, **kwargs: Any) -> Reply:
        """Queue a streamed answer for the next model request; returns it."""
        script = Reply(**kwargs)
        self.push(script)
        return script

    def error(
        self,
        status: int = 500,
        *,
        message: str = "",
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> Failure:
        """Queue an HTTP error for the next model request."""
        script = Failure(status=status, message=message, headers=headers or {}, body=body)
        self.push(script)
        return script

    def push(self, script: Reply | Failure) -> None:
        with self._lock:
            self._scripts.append(script)

    def title(self, script: Reply | Failure) -> Reply | Failure:
        """Queue the answer to the next title request; returns it."""
        with self._lock:
            self._title_scripts.append(script)
        return script

    @property
    def model_requests(self) -> list[RecordedRequest]:
        """The requests to the model endpoint, oldest first (title requests aside)."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path.endswith(self.completion_suffix) and not is_title_request(r.json)
            ]

    @property
    def title_requests(self) -> list[RecordedRequest]:
        """The requests that asked for a chat's title, oldest first."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path.endswith(self.completion_suffix) and is_title_request(r.json)
            ]

    @property
    def last_body(self) -> Any:
        return self.model_requests[-1].json

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no request is being handled; True if that happened in time."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                alive = [t for t in self._handlers if t.is_alive()]
                self._handlers = set(alive)
            if not alive:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            alive[0].join(remaining)

    def close(self) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        self.wait_idle()

    def __enter__(self) -> FakeModelServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- what subclasses define --------------------------------------------

    def frames(self, reply: Reply, request: Any) -> list[Frame]:
        raise NotImplementedError

    def malformed_frame(self) -> Frame:
        raise NotImplementedError

    def error_frame(self, message: str) -> Frame:
        """An error reported inside a stream that began well."""
        raise NotImplementedError

    def whole_answer(self, reply: Reply, request: Any) -> Any:
        raise NotImplementedError

    def error_body(self, failure: Failure) -> Any:
        raise NotImplementedError

    def models_body(self) -> Any:
        raise NotImplementedError

    def precheck(self, request: Any) -> Failure | None:
        """A Failure to answer instead of the script (say, an unsupported field)."""
        return None

    def context_error_body(self, counted: int) -> Any:
        """The wire's answer to a request over ``window_tokens``."""
        raise NotImplementedError

    def count_tokens(self, request: Any) -> int:
        """The fake's tokenizer: 4 bytes of the request's messages, system and tools each."""
        parts = [request.get("messages"), request.get("system"), request.get("tools")]
        return len(json.dumps([p for p in parts if p], ensure_ascii=False).encode()) // 4

    # --- request handling ----------------------------------------------------

    def _next_script(self, request: Any = None) -> Reply | Failure:
        with self._lock:
            if self._scripts:
                return self._scripts.popleft()
        if self.responder is not None:
            return self.responder(request)
        return self.default_reply

    def _track(self, thread: threading.Thread) -> None:
        with self._lock:
            self._handlers = {t for t in self._handlers if t.is_alive()}
            self._handlers.add(thread)

    def _record(self, handler: BaseHTTPRequestHandler, body: bytes) -> RecordedRequest:
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        record = RecordedRequest(
            method=handler.command,
            path=handler.path.split("?", 1)[0],
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
            json=parsed,
        )
        with self._lock:
            self.requests.append(record)
        return record

    def _handle(self, handler: _Handler, record: RecordedRequest) -> None:
        if record.method == "GET" and record.path == "/props" and self.props is not None:
            return handler.send_json(200, self.props)
        if record.method == "GET" and record.path.endswith("/models"):
            if self.models is None:  # a server that does not list its models
                return handler.send_json(404, self.error_body(Failure(404, "Not found")))
            return handler.send_json(200, self.models_body())
        if record.method != "POST" or not record.path.endswith(self.completion_suffix):
            return handler.send_json(404, self.error_body(Failure(404, f"No route {record.path}")))
        if not isinstance(record.json, dict):
            return handler.send_json(400, self.error_body(Failure(400, "Body is not JSON")))
        if is_title_request(record.json):
            with self._lock:
                script = self._title_scripts.popleft() if self._title_scripts else None
            return self._answer(handler, record, script or self.title_reply, None)
        counted = None
        if self.window_tokens is not None:
            counted = self.count_tokens(record.json)
            with self._lock:
                self.counted.append(counted)
            if counted > self.window_tokens:
                return handler.send_json(400, self.context_error_body(counted))
        script = self.precheck(record.json) or self._next_script(record.json)
        return self._answer(handler, record, script, counted)

    def _answer(
        self,
        handler: _Handler,
        record: RecordedRequest,
        script: Reply | Failure,
        counted: int | None,
    ) -> None:
        if isinstance(script, Reply) and counted is not None:
            script = dataclasses.replace(
                script, usage={**(script.usage or {}), "input_tokens": counted}
            )
        if isinstance(script, Failure):
            body = script.body if script.body is not None else self.error_body(script)
            return handler.send_json(script.status, body, script.headers)
        if script.hold_before_headers and not self._stall(handler, script, record):
            return None
        if not record.json.get("stream"):
            return handler.send_json(200, self.whole_answer(script, record.json))
        self._stream(handler, script, record)
        return None

    def _stream(self, handler: _Handler, reply: Reply, record: RecordedRequest) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.send_header("Connection", "close")
        handler.end_headers()
        sent = 0
        for index, frame in enumerate(self.frames(reply, record.json)):
            if reply.delay and index:
                time.sleep(reply.delay)
            if not handler.write_chunk(frame.data):
                record.disconnected.set()
                return
            sent += frame.content
            if reply.stream_error and sent == reply.stream_error_after:
                handler.write_chunk(self.error_frame(reply.stream_error).data)
                break
            if not frame.content:
                continue
            if reply.malformed and sent == reply.malformed_after:
                handler.write_chunk(self.malformed_frame().data)
                break
            if reply.cut_after is not None and sent >= reply.cut_after:
                handler.drop()
                return
            if reply.hold is not None and sent == reply.hold_after:
                if not self._stall(handler, reply, record):
                    return
        handler.write_chunk(b"")

    def _stall(self, handler: _Handler, reply: Reply, record: RecordedRequest) -> bool:
        """Wait for the hold event; False if the client left or the server closes."""
        reply.stalled.set()
        hold = reply.hold or threading.Event()
        while not hold.wait(_POLL):
            if self._closing.is_set() or handler.client_gone():
                record.disconnected.set()
                return False
        return True


def is_title_request(body: Any) -> bool:
    """Whether a model request is Hearth asking for a chat's title (its system prompt)."""
    if not isinstance(body, dict):
        return False
    system = body.get("system")
    if system is None:
        messages = body.get("messages") or [{}]
        first = messages[0] if isinstance(messages[0], dict) else {}
        system = first.get("content") if first.get("role") == "system" else None
    return TITLE_SYSTEM in json.dumps(system, ensure_ascii=False)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: Any, handler: Any, fake: FakeModelServer) -> None:
        self.fake = fake
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="fake-llm-handler",
            daemon=True,
        )
        self.fake._track(thread)
        thread.start()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up mid-answer is part of the game


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeModelServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = self.fake._record(self, body)
        try:
            self.fake._handle(self, record)
        except (BrokenPipeError, ConnectionResetError):
            record.disconnected.set()
        finally:
            self.close_connection = True
            record.finished.set()

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def write_chunk(self, data: bytes) -> bool:
        """One chunk of the chunked body (empty: the terminating chunk)."""
        try:
            self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
        except OSError:
            return False
        return True

    def drop(self) -> None:
        """Close the connection mid-body, as a crashed server or proxy would."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def client_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True


def _handler_for(fake: FakeModelServer) -> type[_Handler]:
    return type("FakeHandler", (_Handler,), {"fake": fake})


def sse(data: Any, event: str | None = None) -> bytes:
    """One server-sent event; ``data`` is JSON-encoded unless it is already a str."""
    text = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {text}\n\n".encode()
