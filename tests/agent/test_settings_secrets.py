"""Where API keys go: a keychain when keyring has a real one, else a 0600 file.

No test touches a real keychain: the "real" backend here is an in-memory keyring, and the
detection is fed keyring's own fail backend or an error.
"""

from __future__ import annotations

import json
import os
import stat

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null

from core.settings import Secrets, Settings

KEY = "sk-test-secret-abcdef"


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self, broken: bool = False) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}
        self.broken = broken

    def get_password(self, service, username):
        if self.broken:
            raise RuntimeError("keychain locked")
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        if self.broken:
            raise RuntimeError("keychain locked")
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)


@pytest.fixture
def auto_backend(monkeypatch):
    """No HEARTH_SECRETS_BACKEND: the backend is detected (from what the test installs)."""
    monkeypatch.delenv("HEARTH_SECRETS_BACKEND", raising=False)

    def install(backend=None, error: Exception | None = None):
        def get_keyring():
            if error is not None:
                raise error
            return backend

        monkeypatch.setattr(keyring, "get_keyring", get_keyring)

    return install


def test_file_backend_is_private_and_round_trips(paths, monkeypatch):
    monkeypatch.setenv("HEARTH_SECRETS_BACKEND", "file")
    secrets = Secrets(paths, env={"HEARTH_SECRETS_BACKEND": "file"})
    assert secrets.backend == "file"
    assert secrets.get("openai") is None

    secrets.set("openai", KEY)
    secrets.set("groq", "sk-groq")

    assert secrets.get("openai") == KEY
    assert stat.S_IMODE(os.stat(secrets.file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(secrets.file.parent).st_mode) == 0o700
    secrets.delete("openai")
    assert secrets.get("openai") is None
    assert json.loads(secrets.file.read_text()) == {"groq": "sk-groq"}


def test_forced_file_backend_never_asks_keyring(paths, monkeypatch):
    def boom():
        raise AssertionError("keyring was asked")

    monkeypatch.setattr(keyring, "get_keyring", boom)
    secrets = Secrets(paths, env={"HEARTH_SECRETS_BACKEND": "file"})
    secrets.set("p", KEY)
    assert secrets.get("p") == KEY


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()])
def test_keyrings_fail_and_null_backends_mean_the_file(paths, auto_backend, backend):
    auto_backend(backend)
    secrets = Secrets(paths, env={})
    assert secrets.backend == "file"
    secrets.set("p", KEY)
    assert json.loads(secrets.file.read_text()) == {"p": KEY}


def test_an_error_from_keyring_means_the_file(paths, auto_backend):
    auto_backend(error=RuntimeError("no D-Bus"))
    secrets = Secrets(paths, env={})
    assert secrets.backend == "file"
    secrets.set("p", KEY)
    assert secrets.get("p") == KEY


def test_a_real_keychain_holds_the_key_and_the_file_does_not(paths, auto_backend):
    memory = MemoryKeyring()
    auto_backend(memory)
    settings = Settings(paths, env={})

    settings.add_provider("OpenAI", "openai", api_key=KEY)

    assert settings.secrets.backend == "keyring"
    assert memory.store == {("Hearth", "openai"): KEY}
    assert not settings.secrets.file.exists()
    assert KEY not in (paths.config / "settings.json").read_text()
    assert settings.provider_config("openai").api_key == KEY

    settings.update_provider("openai", api_key="")
    assert memory.store == {}


def test_a_keychain_that_refuses_falls_back_to_the_file(paths, auto_backend):
    auto_backend(MemoryKeyring(broken=True))
    secrets = Secrets(paths, env={})

    secrets.set("p", KEY)

    assert json.loads(secrets.file.read_text()) == {"p": KEY}
    assert secrets.get("p") == KEY
