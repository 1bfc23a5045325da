"""Specification of where an outgoing webhook may be sent: HTTPS on 443 to public addresses only,
whatever the name resolves to; the local stack's loopback and private receivers, but never the
cloud's metadata services. Names resolve through a fake resolver: no DNS, no network."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from chalicelib.errors import InvalidRequestError
from chalicelib.integrations.webhook_targets import (
    ResolvedTarget,
    UnsafeTargetError,
    check_target,
)
from tests.webhook_support import PUBLIC_V4, PUBLIC_V6, FakeResolver


def resolving_to(*addresses: str) -> FakeResolver:
    return FakeResolver({"hooks.example.com": addresses})


def refusal_of(url: str, *, allow_local: bool = False, resolver: Any = None) -> str:
    with pytest.raises(UnsafeTargetError) as refused:
        check_target(url, allow_local=allow_local, resolver=resolver or FakeResolver({}))
    return refused.value.reason


# --- the addresses a name may resolve to ---------------------------------------------------------

REFUSED_ADDRESSES = [
    ("127.0.0.1", "a loopback address"),
    ("127.8.9.10", "a loopback address"),
    ("::1", "a loopback address"),
    ("10.0.0.5", "a private address"),
    ("172.16.0.1", "a private address"),
    ("172.31.255.254", "a private address"),
    ("192.168.1.1", "a private address"),
    ("100.64.0.1", "a private address"),
    ("100.100.100.200", "a private address"),
    ("fd12:3456::1", "a private address"),
    ("169.254.169.254", "a cloud metadata address"),
    ("169.254.170.2", "a cloud metadata address"),
    ("fd00:ec2::254", "a cloud metadata address"),
    ("169.254.1.1", "a link-local address"),
    ("fe80::1", "a link-local address"),
    ("fec0::1", "a site-local address"),
    ("0.0.0.0", "an unspecified address"),  # noqa: S104 (refused, not bound)
    ("0.1.2.3", "a reserved address"),
    ("::", "an unspecified address"),
    ("224.0.0.1", "a multicast address"),
    ("239.255.255.250", "a multicast address"),
    ("ff02::1", "a multicast address"),
    ("255.255.255.255", "the broadcast address"),
    ("240.0.0.1", "a reserved address"),
    ("192.0.2.10", "a reserved address"),
    ("198.18.0.1", "a reserved address"),
    ("2001:db8::1", "a reserved address"),
    # NAT64 would carry it to 10.0.0.5; 6to4 to 127.0.0.1.
    ("64:ff9b::a00:5", "a reserved address"),
    ("2002:7f00:1::", "a loopback address (6to4)"),
    # IPv4-mapped IPv6: checked as the IPv4 address it reaches.
    ("::ffff:127.0.0.1", "a loopback address"),
    ("::ffff:10.0.0.5", "a private address"),
    ("::ffff:169.254.169.254", "a cloud metadata address"),
]


@pytest.mark.parametrize(("address", "kind"), REFUSED_ADDRESSES)
def test_a_name_resolving_to_a_non_public_address_is_refused_saying_which(
    address: str, kind: str
) -> None:
    # Given a name that resolves to a non-public address
    # When its URL is checked, Then it is refused, naming the address and its kind
    reason = refusal_of("https://hooks.example.com/in", resolver=resolving_to(address))
    assert reason == f"hooks.example.com resolves to {ipaddress.ip_address(address)}, {kind}"


@pytest.mark.parametrize(("address", "kind"), REFUSED_ADDRESSES)
def test_an_ip_literal_host_is_checked_like_a_resolved_one(address: str, kind: str) -> None:
    host = f"[{address}]" if ":" in address else address
    resolver = FakeResolver({})
    assert refusal_of(f"https://{host}/in", resolver=resolver).endswith(f" is {kind}")
    # An address is not looked up
    assert resolver.asked == []


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    # Given a name with a public address and a private one (the connection could use either)
    resolver = resolving_to(PUBLIC_V4, "10.0.0.5")
    # Then it is refused
    assert refusal_of("https://hooks.example.com/", resolver=resolver) == (
        "hooks.example.com resolves to 10.0.0.5, a private address"
    )


def test_a_name_that_does_not_resolve_is_refused() -> None:
    assert refusal_of("https://nowhere.example.com/") == "nowhere.example.com does not resolve"


def test_a_name_with_no_address_is_refused() -> None:
    resolver = FakeResolver({"hooks.example.com": []})
    assert refusal_of("https://hooks.example.com/", resolver=resolver) == (
        "hooks.example.com does not resolve"
    )


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "127.1", "017700000001"])
def test_a_numeric_host_in_another_notation_is_refused_by_what_it_resolves_to(host: str) -> None:
    # The system resolver reads these as 127.0.0.1 without asking DNS
    reason = refusal_of(f"https://{host}/", resolver=socket.getaddrinfo)
    assert reason == f"{host} resolves to 127.0.0.1, a loopback address"


# --- what the URL itself may say -----------------------------------------------------------------


def test_a_public_https_url_is_accepted_with_every_address_it_resolved_to() -> None:
    # Given a name with public IPv4 and IPv6 addresses
    resolver = resolving_to(PUBLIC_V6, PUBLIC_V4)
    # When its URL is checked
    target = check_target(
        "https://Hooks.Example.com:443/in?shop=acme", allow_local=False, resolver=resolver
    )
    # Then it is accepted, with both addresses, IPv4 first to connect to
    assert isinstance(target, ResolvedTarget)
    assert (target.scheme, target.host, target.port) == ("https", "hooks.example.com", 443)
    assert target.addresses == (ipaddress.ip_address(PUBLIC_V6), ipaddress.ip_address(PUBLIC_V4))
    assert target.connect_address == ipaddress.ip_address(PUBLIC_V4)
    assert target.host_header == "hooks.example.com"
    assert str(target.url) == "https://hooks.example.com/in?shop=acme"


def test_an_international_name_is_resolved_and_sent_in_its_ascii_form() -> None:
    resolver = FakeResolver({"xn--bcher-kva.example": [PUBLIC_V4]})
    target = check_target("https://bücher.example/in", allow_local=False, resolver=resolver)
    assert target.host == target.host_header == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/", "its scheme must be https"),
        ("ftp://hooks.example.com/", "its scheme must be https"),
        ("file:///etc/passwd", "its scheme must be https"),
        ("gopher://hooks.example.com/", "its scheme must be https"),
        ("/relative/path", "its scheme must be https"),
        ("https://user:secret@hooks.example.com/", "it must not carry a user name or password"),
        ("https://user@hooks.example.com/", "it must not carry a user name or password"),
        ("https:///no-host", "it has no host name"),
        ("https://hooks.example.com:8443/", "its port must be 443"),
        ("https://hooks.example.com:80/", "its port must be 443"),
        ("https://hooks.example.com:99999/", "its port is not a port number"),
        ("https://hooks.example.com:0/", "its port is not a port number"),
        ("https://hooks example.com/", "its host is not a valid name"),
        ("https://hooks%2eexample.com/", "its host is not a valid name"),
        ("https://[fe80::1%25eth0]/", "its address must not name a network interface"),
        ("https://[::1/", "it is not a valid URL"),
    ],
)
def test_a_url_outside_https_on_443_without_credentials_is_refused(url: str, reason: str) -> None:
    assert refusal_of(url, resolver=resolving_to(PUBLIC_V4)) == reason


def test_a_refusal_is_an_invalid_request_about_the_url_field() -> None:
    # Given a refused URL, as an endpoint's route would meet it
    with pytest.raises(InvalidRequestError) as refused:
        check_target("http://hooks.example.com/", allow_local=False)
    # Then it answers 400 naming the field and saying why in a sentence
    assert refused.value.code == "invalid_request"
    assert refused.value.details == {"field": "url", "reason": "its scheme must be https"}
    assert refused.value.message == "This URL cannot receive webhooks: its scheme must be https."


# --- the local stack -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765/hooks",
        "http://localhost:9000/",
        "https://[::1]:8443/",
        "http://10.0.0.5/",
        "http://192.168.1.20:3000/",
        "http://[::ffff:127.0.0.1]:8000/",
    ],
)
def test_the_local_stack_sends_over_http_to_loopback_and_private_receivers(url: str) -> None:
    resolver = FakeResolver({"localhost": ["::1", "127.0.0.1"]})
    target = check_target(url, allow_local=True, resolver=resolver)
    assert target.addresses


def test_the_local_stack_connects_to_an_ipv4_mapped_address_as_ipv4() -> None:
    target = check_target("http://[::ffff:127.0.0.1]:8000/", allow_local=True)
    assert target.connect_address == ipaddress.ip_address("127.0.0.1")
    assert target.host_header == "[::ffff:127.0.0.1]:8000"


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("::ffff:169.254.169.254", "a cloud metadata address"),
        ("169.254.10.10", "a link-local address"),
        ("0.0.0.0", "an unspecified address"),  # noqa: S104 (refused, not bound)
        ("224.0.0.1", "a multicast address"),
    ],
)
def test_the_local_stack_still_never_reaches_the_metadata_service(address: str, kind: str) -> None:
    reason = refusal_of(
        "http://hooks.example.com:8080/", allow_local=True, resolver=resolving_to(address)
    )
    assert reason.endswith(f", {kind}")


def test_the_local_stack_still_refuses_other_schemes() -> None:
    assert refusal_of("ftp://127.0.0.1/", allow_local=True) == "its scheme must be https or http"
