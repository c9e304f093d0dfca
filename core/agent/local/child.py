"""The runtime's child process: llama.cpp's server (xllamacpp) on a loopback port.

Started by runtime.py as ``python -m core.agent.local.child`` (or the bundle's executable
with ``--hearth-local-runtime``). It reads one JSON line from stdin (model path, API key,
context size), starts the server on 127.0.0.1 with a free port, answers one JSON line
``{"port": N}`` (or ``{"error": "..."}``) on stdout, then waits on stdin: when Hearth closes
the pipe, or dies and the kernel closes it, the read returns and the child exits. On Linux the
kernel also kills it when the thread that started it goes (PR_SET_PDEATHSIG), in case
anything blocks the read.
"""

from __future__ import annotations

import json
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Linux: SIGKILL this process when its parent goes; a no-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent went before prctl took effect
        os._exit(0)


def main() -> int:
    request = json.loads(sys.stdin.readline() or "{}")
    die_with_parent(int(request.get("parent_pid", os.getppid())))
    # The handshake gets stdout to itself: whatever llama.cpp prints goes to the log (stderr).
    answer = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    try:
        port = start_server(request)
    except Exception as exc:  # any failure is told to Hearth as a sentence, then we leave
        answer.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        answer.flush()
        return 1
    answer.write(json.dumps({"port": port}) + "\n")
    answer.flush()
    sys.stdin.read()  # returns at EOF: Hearth closed the pipe, stopped or died
    os._exit(0)  # no slow teardown of the model: the memory goes back with the process


_server = None  # kept alive for the life of the process


def start_server(request: dict) -> int:
    global _server
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = request["model"]
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.api_keys = [request["api_key"]]
    params.n_ctx = int(request.get("context", 4096))
    params.n_parallel = 1
    params.use_jinja = True  # the GGUF's own chat template, through llama.cpp's Jinja engine
    params.endpoint_metrics = False
    params.endpoint_slots = False
    params.ui = False
    if request.get("threads"):
        params.cpuparams.n_threads = int(request["threads"])
        params.cpuparams_batch.n_threads = int(request["threads"])
    _server = xlc.Server(params)
    address = _server.listening_address  # http://127.0.0.1:PORT
    return int(address.rsplit(":", 1)[1].split("/")[0])


if __name__ == "__main__":
    sys.exit(main())
