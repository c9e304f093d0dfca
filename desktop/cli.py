"""The ``hearth`` command."""

from __future__ import annotations

import argparse
import sys

from core.version import __version__

DEFAULT_PORT = 8765


class _Parser(argparse.ArgumentParser):
    commands: dict[str, argparse.ArgumentParser]  # set by build_parser

    def error(self, message: str) -> None:  # the usage on one line, then what was wrong
        usage = " ".join(self.format_usage().split())
        self.exit(2, f"{usage}\nhearth: {message}\n")


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--port must be a number, not {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError("--port must be from 0 to 65535")
    return port


def _global_flags(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Flags that work before or after the command: ``hearth --data-dir X serve`` and
    ``hearth serve --data-dir X`` are the same. The command's copies default to SUPPRESS so
    that leaving them out after the command keeps what was given before it."""
    parser.add_argument("--version", action="version", version=f"hearth {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=None if top else argparse.SUPPRESS,
        help="data folder (or HEARTH_DATA_DIR)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="hearth",
        description="Hearth: long conversations with an AI agent that survive crashes."
        " With no command, opens the Hearth window.",
    )
    _global_flags(parser, top=True)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    serve = commands.add_parser("serve", help="run the server without a window")
    _global_flags(serve, top=False)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port to listen on ({DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.commands = {"serve": serve}
    return parser


def run_serve(args: argparse.Namespace) -> int:
    from core.paths import Paths
    from webui.server import ServeError, serve

    try:
        return serve(Paths.resolve(args.data_dir), args.host, args.port)
    except ServeError as exc:
        print(f"hearth: {exc}", file=sys.stderr, flush=True)
        return 1


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # told by the command's parser, so the usage shown is the command's
        where = parser.commands.get(args.command, parser)
        where.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "serve":
        return run_serve(args)
    from desktop.app import run_window

    return run_window(args.data_dir)


if __name__ == "__main__":
    sys.exit(main())
