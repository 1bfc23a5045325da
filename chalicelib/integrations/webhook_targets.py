"""Where an outgoing webhook may be sent: the merchant types the URL, so it must never let
returns-desk reach its own network (server-side request forgery).

A URL is checked when an endpoint is saved and again before every attempt (DNS can change in
between): HTTPS on port 443 only, no credentials in it, and every address its name resolves to
public. One private address among several is enough to refuse it: the connection could use
that one. The sender then connects to an address checked here, never to a fresh lookup, so a
name that changes its answer between the check and the connection (DNS rebinding) gains nothing.

The local stack (`allow_local`) sends to receivers on the loopback address or the local network
over plain HTTP, on any port; the cloud's metadata services stay out of reach even there.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import httpx

from chalicelib.errors import InvalidRequestError

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

_DEFAULT_PORTS = {"https": 443, "http": 80}
# The instance metadata and its credentials (EC2, ECS, Lambda's neighbours) answer on these:
# refused even by the local stack, whose machine may well be an EC2 instance.
_METADATA = (
    ipaddress.ip_network("169.254.169.254/32"),
    ipaddress.ip_network("169.254.170.2/32"),
    # AWS's IPv6 instance services: metadata (::254), DNS, time.
    ipaddress.ip_network("fd00:ec2::/32"),
)
_PRIVATE = (
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
    # Carrier-grade NAT: not RFC 1918, but just as internal (and Alibaba's metadata lives there).
    ipaddress.ip_network("100.64.0.0/10"),
    ipaddress.ip_network("fc00::/7"),
)
_BROADCAST = ipaddress.ip_address("255.255.255.255")
# Letters, digits, hyphens (underscores too, which some DNS names carry), dot-separated: the
# ASCII form of the host, with nothing the resolver or a proxy could read another way.
_HOSTNAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")
# The kinds of address the local stack's receivers listen on.
_LOCAL_KINDS = frozenset({"a loopback address", "a private address"})


class UnsafeTargetError(InvalidRequestError):
    """A webhook URL returns-desk will not send to; `reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"This URL cannot receive webhooks: {reason}.", {"field": "url", "reason": reason}
        )
        self.reason = reason


class ResolvedTarget(NamedTuple):
    """A URL that passed the check, with the addresses its host had then (all of them safe)."""

    url: httpx.URL
    scheme: str
    # ASCII (IDNA) form, without brackets: what TLS checks the certificate against.
    host: str
    port: int
    addresses: tuple[IpAddress, ...]

    @property
    def host_header(self) -> str:
        """`host[:port]` as the URL names it (brackets around an IPv6 literal)."""
        return self.url.netloc.decode("ascii")

    @property
    def connect_address(self) -> IpAddress:
        """The checked address to connect to: IPv4 first, which every network routes."""
        return next((a for a in self.addresses if a.version == 4), self.addresses[0])


def check_target(
    url: str, *, allow_local: bool, resolver: Resolver = socket.getaddrinfo
) -> ResolvedTarget:
    """`url` as a safe webhook target, or UnsafeTargetError saying why not."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise UnsafeTargetError("it is not a valid URL") from None
    scheme = parsed.scheme
    allowed_schemes = ("https", "http") if allow_local else ("https",)
    if scheme not in allowed_schemes:
        raise UnsafeTargetError(f"its scheme must be {' or '.join(allowed_schemes)}")
    if parsed.userinfo:
        raise UnsafeTargetError("it must not carry a user name or password")
    host = parsed.raw_host.decode("ascii").lower()
    if not host:
        raise UnsafeTargetError("it has no host name")
    port = _DEFAULT_PORTS[scheme] if parsed.port is None else parsed.port
    if not 0 < port < 65536:
        raise UnsafeTargetError("its port is not a port number")
    if not allow_local and port != _DEFAULT_PORTS[scheme]:
        raise UnsafeTargetError(f"its port must be {_DEFAULT_PORTS[scheme]}")

    literal = _ip_literal(host)
    if literal is None and not _HOSTNAME.fullmatch(host):
        raise UnsafeTargetError("its host is not a valid name")
    if getattr(literal, "scope_id", None):
        # `fe80::1%eth0` names an interface of our own machine.
        raise UnsafeTargetError("its address must not name a network interface")
    if literal is not None:
        reason = refusal(literal, allow_local=allow_local)
        if reason:
            raise UnsafeTargetError(f"{literal} is {reason}")
        addresses: tuple[IpAddress, ...] = (_unmapped(literal),)
    else:
        addresses = _resolve(host, port, resolver)
        for address in addresses:
            reason = refusal(address, allow_local=allow_local)
            if reason:
                raise UnsafeTargetError(f"{host} resolves to {address}, {reason}")
        addresses = tuple(dict.fromkeys(_unmapped(a) for a in addresses))
    return ResolvedTarget(parsed, scheme, host, port, addresses)


def refusal(address: IpAddress, *, allow_local: bool) -> str | None:
    """Why a webhook may not be sent to `address` ("a private address"), or None."""
    kind = _kind(_unmapped(address))
    if kind is None or (allow_local and kind in _LOCAL_KINDS):
        return None
    return kind


def _kind(address: IpAddress) -> str | None:
    # The order matters: the metadata addresses are link-local or private too, and the local
    # stack may reach private ones.
    if any(address in network for network in _METADATA):
        return "a cloud metadata address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address == _BROADCAST:
        return "the broadcast address"
    if any(address in network for network in _PRIVATE):
        return "a private address"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        # Deprecated (RFC 3879) but still routed inside some networks: never the Internet.
        return "a site-local address"
    if isinstance(address, ipaddress.IPv6Address) and address.sixtofour is not None:
        # A 6to4 address carries an IPv4 one, which a relay would reach.
        inner = _kind(address.sixtofour)
        if inner is not None:
            return f"{inner} (6to4)"
    # Documentation, benchmarking, NAT64, Teredo, the future-use blocks...: not the Internet.
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


def _unmapped(address: IpAddress) -> IpAddress:
    """An IPv4-mapped IPv6 address (`::ffff:10.0.0.5`) as the IPv4 address it reaches."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _ip_literal(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _resolve(host: str, port: int, resolver: Resolver) -> tuple[IpAddress, ...]:
    try:
        answers = resolver(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise UnsafeTargetError(f"{host} does not resolve") from None
    # An IPv6 link-local answer may carry its interface (`fe80::1%eth0`).
    found = tuple(ipaddress.ip_address(str(answer[4][0]).split("%", 1)[0]) for answer in answers)
    if not found:
        raise UnsafeTargetError(f"{host} does not resolve")
    return found
