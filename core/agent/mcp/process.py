"""Starting a stdio server so that it dies with Hearth, even when Hearth is SIGKILLed.

On Linux the server is started through a tiny Python preamble that asks the kernel for
PR_SET_PDEATHSIG (SIGKILL when its parent thread, Hearth's MCP loop thread, dies), checks
that Hearth did not die before that, then execs the real command in its place (same pid).
Elsewhere (and as a second line everywhere) a server also ends when its stdin closes, which
the kernel does for a dead Hearth; the reference servers exit on that.
"""

from __future__ import annotations

import os
import sys

_PREAMBLE = """\
import ctypes, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(1, signal.SIGKILL, 0, 0, 0)
if os.getppid() != int(sys.argv[1]):
    sys.exit(0)
try:
    os.execvp(sys.argv[2], sys.argv[2:])
except OSError as exc:
    sys.stderr.write(f"cannot start {sys.argv[2]!r}: {exc.strerror}\\n")
    sys.exit(127)
"""


def wrapped(command: str, args: list[str]) -> tuple[str, list[str]]:
    """The (command, args) that start ``command`` tied to this process's life."""
    if not sys.platform.startswith("linux"):
        return command, list(args)
    return sys.executable, ["-I", "-S", "-c", _PREAMBLE, str(os.getpid()), command, *args]
