"""Hearth's domain: paths, the session store, checkpointing, the agent.

Importing ``core`` is cheap on purpose: nothing here imports bottle, webview or a
provider SDK.
"""

from core.version import __version__

__all__ = ["__version__"]
