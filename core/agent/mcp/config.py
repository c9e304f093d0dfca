"""The MCP servers the user configured, in ``config/mcp.json``, their secrets in the keychain.

The format is Claude Desktop's and Cursor's: ``{"mcpServers": {name: entry}}`` where an entry
is ``{"command", "args"?, "env"?}`` (a stdio server) or ``{"url", "headers"?}`` (Streamable
HTTP; ``"type": "sse"`` or a URL ending in ``/sse`` means legacy SSE), plus Hearth's
``"enabled"``. The values of ``env`` and ``headers`` are secrets (API keys, tokens): they are
kept like provider keys (:class:`core.settings.Secrets`), the file holds only their names, and
nothing hands them out except :meth:`McpConfig.launch` for starting the server.

A secret belongs to where it is sent: when a server's command or arguments (stdio) or its URL
(http) change, a value given as null ("keep it") is dropped instead, and the user enters it
again, as with a provider's key. Secrets belong in ``env`` and ``headers``; a URL query or an
argument is kept in clear in the file, and what the API shows masks the values that look
like secrets (``?api_key=...``, ``--token X``, ``--password=X``).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from core.errors import InvalidInput, NotFound
from core.urls import http_url

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MAX_SERVERS = 64
MAX_ARGS = 200
_SERVER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,47}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}")
_SECRET_WORD = re.compile(r"key|token|secret|password|passwd|auth|credential", re.IGNORECASE)
MASK = "********"
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_ENTRY_KEYS = {"command", "args", "env", "url", "headers", "type", "transport", "enabled"}
# Keys other clients write that Hearth does not use; accepted and ignored on import.
_IGNORED_KEYS = {"cwd", "disabled", "autoApprove", "alwaysAllow", "timeout", "description"}


@dataclass(frozen=True)
class ServerConfig:
    """One server as configured; secrets are named here, their values are not."""

    name: str
    transport: str  # "stdio" or "http"
    command: str | None = None
    args: tuple[str, ...] = ()
    env_keys: tuple[str, ...] = ()
    url: str | None = None
    header_keys: tuple[str, ...] = ()
    sse: bool = False
    enabled: bool = True

    def public(self) -> dict[str, Any]:
        """What the browser may see: the shape, never a secret's value."""
        out: dict[str, Any] = {
            "name": self.name,
            "transport": self.transport,
            "enabled": self.enabled,
        }
        if self.transport == "stdio":
            out.update(
                command=self.command,
                args=masked_args(self.args),
                env_keys=list(self.env_keys),
            )
        else:
            out.update(url=masked_url(self.url), header_keys=list(self.header_keys), sse=self.sse)
        return out

    def stored(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"enabled": self.enabled}
        if self.transport == "stdio":
            entry.update(command=self.command, args=list(self.args), env=list(self.env_keys))
        else:
            entry.update(url=self.url, headers=list(self.header_keys))
            if self.sse:
                entry["type"] = "sse"
        return entry


@dataclass(frozen=True)
class Launch:
    """What starting a server needs, secrets included: for the client, never for showing."""

    config: ServerConfig
    env: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


class McpConfig:
    """Read and change the configured servers; thread-safe."""

    def __init__(self, paths: Any, secrets: Any) -> None:
        self.file = paths.config / "mcp.json"
        self.secrets = secrets
        self.problem: str | None = None
        self._lock = threading.RLock()
        self._servers: dict[str, ServerConfig] = {}
        self._load()

    def servers(self) -> list[ServerConfig]:
        with self._lock:
            return list(self._servers.values())

    def get(self, name: str) -> ServerConfig:
        with self._lock:
            found = self._servers.get(name) if isinstance(name, str) else None
        if found is None:
            raise NotFound(f"No MCP server is called {name!r}.")
        return found

    def find(self, name: str) -> ServerConfig | None:
        with self._lock:
            return self._servers.get(name) if isinstance(name, str) else None

    def put(self, name: str, entry: Any) -> tuple[ServerConfig, list[str]]:
        """Add or replace the server ``name``: (its config, the secrets dropped).

        A secret given as null keeps the stored one, unless the server moved (another
        command, arguments or URL): then it is dropped, and listed in the answer.
        """
        name = check_name(name)
        with self._lock:
            old = self._servers.get(name)
            if old is None and len(self._servers) >= MAX_SERVERS:
                raise InvalidInput(f"Hearth keeps at most {MAX_SERVERS} MCP servers.")
            if old is not None:
                entry = _unmasked(entry, old)
            config, secrets = parse_entry(name, entry, keep_enabled=old.enabled if old else True)
            dropped: list[str] = []
            if old is not None and moved(old, config):
                dropped = [key for key, value in secrets.items() if value is None]
                secrets = {key: value for key, value in secrets.items() if value is not None}
                keys = tuple(secrets)
                if config.transport == "stdio":
                    config = ServerConfig(**{**config.__dict__, "env_keys": keys})
                else:
                    config = ServerConfig(**{**config.__dict__, "header_keys": keys})
                self._drop_secrets(old)  # nothing of the old server's follows the new one
            kind = "env" if config.transport == "stdio" else "header"
            for key, value in secrets.items():
                if value is None and not (old and self._secret(old, key) is not None):
                    raise InvalidInput(
                        f"The {kind} {key!r} of {name} has no value: give one (null keeps a "
                        "value already stored)."
                    )
            for key, value in secrets.items():
                if value is not None:
                    self.secrets.set(_secret_id(name, config.transport, key), value)
            if old is not None and not dropped:
                self._drop_secrets(old, keep=config)
            self._servers[name] = config
            self._save()
            return config, dropped

    def set_enabled(self, name: str, enabled: bool) -> ServerConfig:
        with self._lock:
            config = self.get(name)
            changed = ServerConfig(**{**config.__dict__, "enabled": enabled})
            self._servers[name] = changed
            self._save()
            return changed

    def remove(self, name: str) -> None:
        with self._lock:
            config = self.get(name)
            self._drop_secrets(config)
            del self._servers[name]
            self._save()

    def launch(self, name: str) -> Launch:
        with self._lock:
            config = self.get(name)
        keys = config.env_keys if config.transport == "stdio" else config.header_keys
        values = {key: self._secret(config, key) or "" for key in keys}
        if config.transport == "stdio":
            return Launch(config, env=values)
        return Launch(config, headers=values)

    def _secret(self, config: ServerConfig, key: str) -> str | None:
        return self.secrets.get(_secret_id(config.name, config.transport, key))

    def _drop_secrets(self, config: ServerConfig, keep: ServerConfig | None = None) -> None:
        kept = set()
        if keep is not None and keep.transport == config.transport:
            kept = set(keep.env_keys if keep.transport == "stdio" else keep.header_keys)
        keys = config.env_keys if config.transport == "stdio" else config.header_keys
        for key in keys:
            if key not in kept:
                self.secrets.delete(_secret_id(config.name, config.transport, key))

    def _load(self) -> None:
        from core.settings.files import read_json

        try:
            raw = read_json(self.file)
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            self.problem = f"The MCP file {self.file} could not be read ({type(exc).__name__})."
            log.warning("%s", self.problem)
            return
        entries = raw.get("mcpServers") if isinstance(raw, dict) else None
        for name, entry in (entries if isinstance(entries, dict) else {}).items():
            try:
                self._servers[check_name(name)] = _loaded(name, entry)
            except (InvalidInput, TypeError, KeyError, ValueError) as exc:
                log.warning("the MCP server %r in %s is not used: %s", name, self.file, exc)

    def _save(self) -> None:
        from core.settings.files import write_private_json

        write_private_json(
            self.file,
            {
                "version": FORMAT_VERSION,
                "mcpServers": {name: c.stored() for name, c in self._servers.items()},
            },
        )


def moved(old: ServerConfig, new: ServerConfig) -> bool:
    """Whether ``new`` is another server than ``old``: what it runs or where it lives changed."""
    if old.transport != new.transport:
        return True
    if old.transport == "stdio":
        return (old.command, old.args) != (new.command, new.args)
    return old.url != new.url


def masked_url(url: str | None) -> str | None:
    """``url`` with the values of secret-looking query parameters masked."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return url
    secret_query = any(_SECRET_WORD.search(k) for k, _ in query)
    if not secret_query and "@" not in parts.netloc:
        return url
    netloc = parts.netloc
    if "@" in netloc:  # user:password@, or a token as the user name
        user = f"{parts.username}:{MASK}" if parts.password is not None else MASK
        netloc = f"{user}@{netloc.rpartition('@')[2]}"
    if secret_query:
        shown = [(k, MASK if _SECRET_WORD.search(k) else v) for k, v in query]
        parts = parts._replace(query=urlencode(shown, safe="*"))
    return urlunsplit(parts._replace(netloc=netloc))


def masked_args(args: tuple[str, ...] | list[str]) -> list[str]:
    """``args`` with secret-looking values masked: ``--token X``, ``--api-key=X``, ``KEY=X``."""
    out: list[str] = []
    hide_next = False
    for arg in args:
        if hide_next:
            out.append(MASK)
            hide_next = False
            continue
        name, equals, value = arg.partition("=")
        if "://" in name:  # a URL
            out.append(masked_url(arg) or arg)
        elif equals and name and " " not in name:  # --name=value or NAME=value
            if _SECRET_WORD.search(name):
                out.append(f"{name}={MASK}" if value else arg)
            else:
                out.append(f"{name}={masked_url(value)}" if "://" in value else arg)
        elif arg.startswith("-") and _SECRET_WORD.search(arg):  # --token VALUE
            out.append(arg)
            hide_next = True
        else:
            out.append(arg)
    return out


def _unmasked(entry: Any, old: ServerConfig) -> Any:
    """``entry`` with the masked values the API showed of ``old`` put back (an edit of what
    the page showed keeps the real values)."""
    if not isinstance(entry, Mapping):
        return entry
    entry = dict(entry)
    if old.url and entry.get("url") == masked_url(old.url) and old.url != entry.get("url"):
        entry["url"] = old.url
    args = entry.get("args")
    if isinstance(args, list) and len(args) == len(old.args):
        shown = masked_args(old.args)
        if all(a == s or (a == o) for a, s, o in zip(args, shown, old.args, strict=True)):
            entry["args"] = [
                o if a == s else a for a, s, o in zip(args, shown, old.args, strict=True)
            ]
    return entry


def _secret_id(server: str, transport: str, key: str) -> str:
    return f"mcp/{server}/{'env' if transport == 'stdio' else 'header'}/{key}"


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not _SERVER_NAME.fullmatch(name):
        raise InvalidInput(
            "An MCP server's name must be 1 to 48 letters, digits, '_', '-' or '.', "
            f"starting with a letter or digit; {name!r} is not."
        )
    return name


def parse_entry(
    name: str, entry: Any, *, keep_enabled: bool = True
) -> tuple[ServerConfig, dict[str, str | None]]:
    """A server entry checked whole: (its config, its secrets by key); InvalidInput says why."""
    if not isinstance(entry, Mapping):
        raise InvalidInput(f"The entry for {name} must be a JSON object.")
    unknown = sorted(set(entry) - _ENTRY_KEYS - _IGNORED_KEYS)
    if unknown:
        raise InvalidInput(f"The entry for {name} has unknown fields: {', '.join(unknown)}.")
    enabled = entry.get("enabled", keep_enabled)
    if entry.get("disabled") is True:
        enabled = False
    if not isinstance(enabled, bool):
        raise InvalidInput(f"enabled of {name} must be true or false.")
    has_command, has_url = entry.get("command") is not None, entry.get("url") is not None
    if has_command == has_url:
        raise InvalidInput(
            f"The entry for {name} needs either a command (a server Hearth starts) or a url "
            "(a server that is already running), not both and not neither."
        )
    if has_command:
        command = _text(entry["command"], f"the command of {name}", 4096)
        if not command.strip():
            raise InvalidInput(f"The command of {name} is empty.")
        args = entry.get("args") or []
        if not isinstance(args, list) or len(args) > MAX_ARGS:
            raise InvalidInput(f"args of {name} must be a list of at most {MAX_ARGS} texts.")
        args = [_text(a, f"an argument of {name}", 4096) for a in args]
        env = _secrets(entry.get("env"), _ENV_NAME, f"env of {name}", "variable")
        config = ServerConfig(
            name, "stdio", command=command, args=tuple(args), env_keys=tuple(env), enabled=enabled
        )
        return config, env
    url = _text(entry["url"], f"the url of {name}", 2000).strip()
    parts = http_url(url, f"The url of {name}", "https://example.com/mcp")
    headers = _secrets(entry.get("headers"), _HEADER_NAME, f"headers of {name}", "header")
    kind = entry.get("type", entry.get("transport"))
    if kind not in (None, "sse", "http", "streamable-http", "streamableHttp", "streamable_http"):
        raise InvalidInput(f"The type of {name} must be 'http' or 'sse', not {kind!r}.")
    sse = kind == "sse" or (kind is None and parts.path.rstrip("/").endswith("/sse"))
    config = ServerConfig(
        name, "http", url=url, header_keys=tuple(headers), sse=sse, enabled=enabled
    )
    return config, headers


def _loaded(name: str, entry: Any) -> ServerConfig:
    """A stored entry: its secret maps hold only names (a list)."""
    if not isinstance(entry, dict):
        raise InvalidInput("not an object")
    names = entry.get("env") if entry.get("command") is not None else entry.get("headers")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        names = []
    shaped = dict(entry)
    key = "env" if entry.get("command") is not None else "headers"
    shaped[key] = {n: None for n in names}
    config, _ = parse_entry(name, shaped)
    return config


def _text(value: Any, what: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise InvalidInput(f"{what[0].upper()}{what[1:]} must be text (at most {limit:,}).")
    return value


def _secrets(value: Any, pattern: re.Pattern[str], what: str, kind: str) -> dict[str, str | None]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or len(value) > 100:
        raise InvalidInput(f"{what} must be an object of names and values (at most 100).")
    out: dict[str, str | None] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not pattern.fullmatch(key):
            raise InvalidInput(f"{key!r} in {what} is not a valid {kind} name.")
        if item is not None and (
            not isinstance(item, str) or len(item) > 16_384 or _CONTROL.search(item)
        ):
            raise InvalidInput(f"The value of {key} in {what} must be one line of text.")
        out[key] = item
    return out
