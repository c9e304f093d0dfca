"""The bundle's entry point: the same ``hearth`` command as the installed package."""

import multiprocessing
import sys

from desktop.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
