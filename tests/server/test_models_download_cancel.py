"""Cancelling a download while Hearth still waits for the server's first answer (the
"checking" step), on a real ``hearth serve``: the cancel answers at once, and when the server
answers afterwards nothing is written, so after a restart the download is not listed as
paused."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.agent.local.download import Downloads
from tests.fakes.hub_server import gguf_bytes

DATA = gguf_bytes(size=200_000)


class SlowHead:
    """Answers HEAD only once ``release`` is set; serves the file to GET."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()
        self.answered = threading.Event()
        self.gets = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_HEAD(self) -> None:
                owner.asked.set()
                owner.release.wait(30)
                self._headers()
                owner.answered.set()

            def do_GET(self) -> None:
                owner.gets += 1
                self._headers()
                self.wfile.write(DATA)

            def _headers(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(DATA)))
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/slow-Q4_K_M.gguf"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def slow():
    server = SlowHead()
    yield server
    server.close()


def test_a_cancel_while_checking_answers_at_once(start_server, slow, tmp_path):
    hearth = start_server(tmp_path / "data", fake=None)
    started = hearth.client.post("/api/models/downloads", json={"url": slow.url})
    assert started.status_code == 202, started.text
    download = started.json()
    assert download["status"] == "checking"
    assert slow.asked.wait(20)

    began = time.monotonic()
    cancelled = hearth.client.post(f"/api/models/downloads/{download['id']}/cancel")
    assert time.monotonic() - began < 3.0  # the request is not held while the thread stops
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"

    slow.release.set()  # the server answers the HEAD after the cancel
    assert slow.answered.wait(20)
    listed = hearth.client.get(f"/api/models/downloads/{download['id']}").json()
    assert listed["status"] == "cancelled"


def test_the_late_answer_writes_nothing_and_a_restart_lists_nothing(slow, tmp_path):
    folder = tmp_path / "models"
    downloads = Downloads(folder)
    download = downloads.start(url=slow.url)
    assert slow.asked.wait(20)

    began = time.monotonic()
    assert downloads.cancel(download["id"])["status"] == "cancelled"
    assert time.monotonic() - began < 1.0

    slow.release.set()
    assert slow.answered.wait(20)
    downloads.close()  # waits for the download's thread to end
    assert (sorted(p.name for p in folder.iterdir()) if folder.exists() else []) == []
    assert slow.gets == 0
    assert downloads.get(download["id"])["status"] == "cancelled"
    assert Downloads(folder).list() == []  # Hearth started again: nothing paused
