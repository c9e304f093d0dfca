"""The ``hearth`` command."""

from __future__ import annotations

import argparse
import sys

from core.version import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hearth",
        description="Hearth: long conversations with an AI agent that survive crashes.",
    )
    parser.add_argument("--version", action="version", version=f"hearth {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
