"""The user's settings: global choices, model providers, their API keys, local servers."""

from .detect import KNOWN_SERVERS, LocalServer, detect_local_servers
from .secrets import Secrets
from .settings import (
    ENV_PROVIDER_ID,
    PRESETS,
    NoModel,
    NoProvider,
    Settings,
    WorkspaceUnavailable,
    presets,
)

__all__ = [
    "ENV_PROVIDER_ID",
    "KNOWN_SERVERS",
    "PRESETS",
    "LocalServer",
    "NoModel",
    "NoProvider",
    "Secrets",
    "Settings",
    "WorkspaceUnavailable",
    "detect_local_servers",
    "presets",
]
