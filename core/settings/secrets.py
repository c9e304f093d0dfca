"""API keys: in the OS keychain through ``keyring`` where there is a real one, else a 0600 file.

Keys are stored under the service "Hearth" with the provider id as the user name. When
keyring offers no real backend (its "fail" or "null" keyring, or any error), or when
``HEARTH_SECRETS_BACKEND=file``, they go to ``secrets.json`` in the config folder, created
0600. A key is never logged, never put in settings.json and never returned by a read of the
settings; only ``get()`` hands it out, for building a provider.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

from core.paths import Paths

from .files import read_json, write_private_json

log = logging.getLogger(__name__)

SERVICE = "Hearth"
BACKEND_ENV = "HEARTH_SECRETS_BACKEND"


class Secrets:
    """get/set/delete one secret per provider id; thread-safe."""

    def __init__(self, paths: Paths, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.file = paths.config / "secrets.json"
        self._lock = threading.Lock()
        self._forced_file = env.get(BACKEND_ENV, "").strip().lower() == "file"
        self._keyring: Any = None
        self._checked = False

    @property
    def backend(self) -> str:
        """ "keyring" or "file": where new keys go."""
        return "keyring" if self._real_keyring() is not None else "file"

    def get(self, provider_id: str) -> str | None:
        backend = self._real_keyring()
        if backend is not None:
            try:
                value = backend.get_password(SERVICE, provider_id)
            except Exception as exc:
                log.warning(
                    "the keychain could not be read (%s); trying the secrets file",
                    type(exc).__name__,
                )
            else:
                if value:
                    return value
        with self._lock:
            return self._read_file().get(provider_id) or None

    def set(self, provider_id: str, secret: str) -> None:
        backend = self._real_keyring()
        if backend is not None:
            try:
                backend.set_password(SERVICE, provider_id, secret)
            except Exception as exc:
                log.warning(
                    "the keychain refused the key (%s); using the secrets file", type(exc).__name__
                )
            else:
                self._delete_from_file(provider_id)  # one place only
                return
        with self._lock:
            stored = self._read_file()
            stored[provider_id] = secret
            write_private_json(self.file, stored)

    def delete(self, provider_id: str) -> None:
        backend = self._real_keyring()
        if backend is not None:
            try:
                backend.delete_password(SERVICE, provider_id)
            except Exception:
                pass  # not there, or no keychain: nothing to delete
        self._delete_from_file(provider_id)

    def _delete_from_file(self, provider_id: str) -> None:
        with self._lock:
            stored = self._read_file()
            if provider_id in stored:
                del stored[provider_id]
                write_private_json(self.file, stored)

    def _read_file(self) -> dict[str, str]:
        try:
            value = read_json(self.file)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("the secrets file %s cannot be read: %s", self.file, type(exc).__name__)
            return {}
        if not isinstance(value, dict):
            return {}
        return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}

    def _real_keyring(self) -> Any:
        """keyring's backend if it is a real one; None otherwise (checked once)."""
        if self._forced_file:
            return None
        with self._lock:
            if not self._checked:
                self._checked = True
                self._keyring = _detect_keyring()
            return self._keyring


def _detect_keyring() -> Any:
    try:
        import keyring
        from keyring.backends import chainer, fail, null

        backend = keyring.get_keyring()
        if isinstance(backend, (fail.Keyring, null.Keyring)):
            return None
        if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
            return None
        return backend
    except Exception as exc:
        log.info("no usable keychain (%s); API keys go to a private file", type(exc).__name__)
        return None
