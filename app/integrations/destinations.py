"""Where an outgoing webhook may go (docs/architecture.md#outgoing-webhooks). No database
here.

* Only `http` and `https` URLs with a host, no user name or password in them (they would be
  stored and shown), at most MAX_URL characters.
* The host must resolve, and every address it resolves to must be public: loopback,
  private, link-local, shared (CGNAT), multicast, reserved and unspecified addresses are
  refused, IPv4 inside IPv6 (`::ffff:10.0.0.1`) by the IPv4 address, so that a subscription
  cannot make the server call into its own network (server-side request forgery).
  `CRM_WEBHOOK_ALLOWED_NETWORKS` (CIDRs) lets chosen networks through: a receiver on the
  same machine or LAN, and the tests' local receiver.
* Checked when a subscription is created or changed, and again before every POST, which
  then goes to the address checked (the Host header and TLS name stay the URL's host): a
  name that resolved to a public address at creation and to a private one later (DNS
  rebinding) is refused then, and one that changes between the check and the connection
  cannot move the connection.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.errors import DomainError

MAX_URL = 2000
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(DomainError):
    """A destination the server will not call: the reason is the message."""


@dataclass(frozen=True)
class Destination:
    url: str
    scheme: str
    host: str  # without brackets for IPv6
    port: int


def parse(url: str, field: str = "url") -> Destination:
    """The destination of `url`, or Refused (INVALID) for a URL not allowed as such."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL:
        raise Refused(f"the URL is required, at most {MAX_URL} characters", field=[field])
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("not a valid URL", field=[field]) from None
    if parts.scheme not in ("http", "https"):
        raise Refused("only http and https URLs are allowed", field=[field])
    if not parts.hostname:
        raise Refused("the URL needs a host", field=[field])
    if parts.username is not None or parts.password is not None:
        raise Refused("no user name or password in the URL: put credentials in the "
                      "secret", field=[field])
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise Refused("the URL contains spaces or control characters", field=[field])
    return Destination(url, parts.scheme, parts.hostname,
                       port or (443 if parts.scheme == "https" else 80))


def networks(cidrs: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def is_public(address: Address) -> bool:
    """Whether a webhook may go to `address` without an allowed network."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_private or address.is_loopback or address.is_link_local
        or address.is_multicast or address.is_reserved or address.is_unspecified)


def allowed(address: Address, allow: Sequence[Network]) -> bool:
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return is_public(address) or any(
        a in n for a in (address, mapped) if a is not None for n in allow
        if a.version == n.version)


def literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_literal(dest: Destination, allow: Sequence[Network], field: str = "url") -> None:
    """Refuse an address written in the URL itself (no DNS): what a unit of work checks."""
    address = literal(dest.host)
    if address is not None and not allowed(address, allow):
        raise _private(address, field)


def resolve(dest: Destination, allow: Sequence[Network], field: str = "url") -> list[Address]:
    """The addresses to connect to (blocking: DNS), every one of them allowed; Refused
    when the host does not resolve or any address is not allowed (a name that also
    resolves to an internal address is refused whole)."""
    address = literal(dest.host)
    if address is not None:
        found = [address]
    else:
        try:
            infos = socket.getaddrinfo(dest.host, dest.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise Refused(f"the host {dest.host} does not resolve", field=[field]) from None
        found = list(dict.fromkeys(ipaddress.ip_address(i[4][0].split("%")[0])
                                   for i in infos))
    if not found:
        raise Refused(f"the host {dest.host} does not resolve", field=[field])
    for address in found:
        if not allowed(address, allow):
            raise _private(address, field)
    return found


def _private(address: Address, field: str) -> Refused:
    return Refused(f"the URL resolves to {address}, a loopback, private or otherwise "
                   "non-public address: refused (CRM_WEBHOOK_ALLOWED_NETWORKS lets chosen "
                   "networks through)", field=[field])
