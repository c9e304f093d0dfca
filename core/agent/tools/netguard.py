"""Which network addresses fetch_url may reach.

A host is resolved once; every address it resolves to is checked; the caller then connects
to the checked address itself (no second lookup an attacker's DNS could answer differently).
Hearth's own server is never reachable; private, loopback and other non-public addresses are
reachable only when the context allows the private network.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

from .base import ToolError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to, in resolver order, without duplicates."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise ToolError(f"cannot resolve the host {host!r}") from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
        address = ipaddress.ip_address(text)
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise ToolError(f"cannot resolve the host {host!r}")
    return addresses


def is_public(address: IPAddress) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
        or not address.is_global
    )


def blocked_set(pairs: Iterable[tuple[str, int]]) -> set[tuple[IPAddress, int]]:
    """Hearth's own (host, port) pairs as (address, port), host names resolved."""
    blocked: set[tuple[IPAddress, int]] = set()
    for host, port in pairs:
        host = host.strip("[]")
        try:
            blocked.add((ipaddress.ip_address(host), int(port)))
        except ValueError:
            try:
                for address in resolve_host(host, int(port)):
                    blocked.add((address, int(port)))
            except ToolError:
                continue
    return blocked


def is_blocked(address: IPAddress, port: int, blocked: set[tuple[IPAddress, int]]) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    candidates = {address} if mapped is None else {address, mapped}
    for blocked_address, blocked_port in blocked:
        if blocked_port != port:
            continue
        if blocked_address in candidates:
            return True
        # A server bound to 0.0.0.0 or :: answers on every local address.
        if blocked_address.is_unspecified and not is_public(address):
            return True
    return False


def checked_address(
    host: str,
    port: int,
    *,
    allow_private: bool,
    blocked_pairs: Iterable[tuple[str, int]],
) -> IPAddress:
    """The address to connect to for ``host``: resolved once, every answer checked."""
    addresses = resolve_host(host, port)
    blocked = blocked_set(blocked_pairs)
    for address in addresses:
        if is_blocked(address, port, blocked):
            raise ToolError(f"{host}:{port} is Hearth's own server; it cannot be fetched")
        if not allow_private and not is_public(address):
            raise ToolError(
                f"{host} resolves to {address}, a private or local network address; "
                "fetching it is not allowed"
            )
    return addresses[0]
