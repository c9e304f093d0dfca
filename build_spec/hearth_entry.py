"""The bundle's entry point: the same ``hearth`` command as the installed package.

Run with ``--hearth-local-runtime`` it is the built-in model's runtime instead (the child
process core/agent/local/runtime.py starts; a frozen app has no ``python -m``).
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    if sys.argv[1:2] == ["--hearth-local-runtime"]:
        from core.agent.local.child import main as runtime_main

        sys.exit(runtime_main())
    from desktop.cli import main

    sys.exit(main())
