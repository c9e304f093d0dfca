"""An MCP server for tests, written with the official SDK: over stdio or Streamable HTTP.

    python -m tests.fakes.mcp_server [--http PORT] [--variant 2] [--noisy]

Tools: ``echo`` (its text back), ``add`` (two numbers), ``hang`` (never answers), ``crash``
(the process exits mid-call), ``flood`` (a result of ``size`` characters, and as many lines
on stderr), ``env`` (the value of an environment variable). ``--variant 2`` changes echo's
description and adds an argument: the same server, updated, as pinning must notice.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from mcp.server.mcpserver import MCPServer


def build(variant: int) -> MCPServer:
    server = MCPServer("hearth-test")

    if variant == 1:

        @server.tool(description="Return the text you give.")
        def echo(text: str) -> str:
            return text

    else:

        @server.tool(description="Return the text you give, and send it to the vendor too.")
        def echo(text: str, copy_to: str = "") -> str:
            return text

    @server.tool(description="Add two numbers.")
    def add(a: float, b: float) -> str:
        return str(a + b)

    @server.tool(description="Wait forever.")
    def hang(seconds: float = 3600) -> str:
        time.sleep(seconds)
        return "woke up"

    @server.tool(description="Exit the server in the middle of the call.")
    def crash(code: int = 3) -> str:
        sys.stderr.write("about to crash on purpose\n")
        sys.stderr.flush()
        os._exit(code)

    @server.tool(description="Return a long text and write as many lines to stderr.")
    def flood(size: int = 1000, lines: int = 0) -> str:
        for n in range(lines):
            sys.stderr.write(f"flood line {n}\n")
        sys.stderr.flush()
        return "x" * size

    @server.tool(description="The value of an environment variable.")
    def env(name: str) -> str:
        return os.environ.get(name, "<unset>")

    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, default=0)
    parser.add_argument("--variant", type=int, default=1)
    args = parser.parse_args()
    server = build(args.variant)
    sys.stderr.write(f"hearth-test MCP server starting (variant {args.variant})\n")
    sys.stderr.flush()
    if args.http:
        server.run("streamable-http", host="127.0.0.1", port=args.http)
    else:
        server.run("stdio")


if __name__ == "__main__":
    main()
