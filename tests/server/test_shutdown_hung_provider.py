"""A provider that never answers cannot hold Hearth's shutdown: a request thread's model-list
call to it ends when the server stops, so SIGTERM stops ``hearth serve`` promptly."""

import socket
import threading
import time

from tests.server.conftest import HearthServer


class SilentServer:
    """Accepts connections and never answers (a hung model server)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            self.accepted.set()

    def close(self) -> None:
        self.sock.close()
        for conn in self.conns:
            conn.close()


def test_sigterm_stops_the_server_while_a_model_list_call_hangs(tmp_path):
    silent = SilentServer()
    env = {"HEARTH_BASE_URL": f"http://127.0.0.1:{silent.port}/v1", "HEARTH_MODEL": "m"}
    server = HearthServer(tmp_path / "data", None, env=env)
    try:
        answers: list = []
        client = server.make_client()

        def ask() -> None:
            try:
                answers.append(client.get("/api/providers/env/models?refresh=1", timeout=60))
            except Exception as exc:  # the server going away is one possible answer
                answers.append(exc)

        asking = threading.Thread(target=ask, daemon=True)
        asking.start()
        assert silent.accepted.wait(10), "the model list was never asked for"
        started = time.monotonic()
        assert server.stop(timeout=15) == 0
        assert time.monotonic() - started < 6
        asking.join(10)
        assert not (tmp_path / "data" / "server.json").exists()
    finally:
        server.close()
        silent.close()
