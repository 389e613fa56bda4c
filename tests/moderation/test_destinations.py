"""Which addresses webhooks may reach: every spelling of an internal address is refused."""

from __future__ import annotations

import ipaddress

import pytest

from moderation import destinations
from moderation.exceptions import DestinationRefused

INTERNAL = [
    ("http://127.0.0.1/", "loopback"),
    ("http://localhost:8080/x", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://2130706433/", "loopback"),
    ("http://0x7f.1/", "loopback"),
    ("http://0177.0.0.1/", "loopback"),
    ("http://127.1/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[::ffff:7f00:1]/", "loopback"),
    ("http://[64:ff9b::7f00:1]/", "loopback"),
    ("http://[2002:7f00:1::]/", "loopback"),
    ("http://10.1.2.3/", "private"),
    ("http://172.16.0.9/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://100.64.0.1/", "private"),
    ("http://[fd00::1]/", "private"),
    ("http://[::ffff:10.0.0.1]/", "private"),
]
NEVER = [
    ("http://0.0.0.0/", "unspecified"),
    ("http://0/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[fe80::1%25eth0]/", "link-local"),
    ("http://[::ffff:169.254.169.254]/", "link-local"),
    ("http://224.0.0.1/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://255.255.255.255/", "reserved"),
    ("http://240.0.0.1/", "reserved"),
    ("http://192.0.2.1/", "reserved"),
    ("http://[2001:db8::1]/", "reserved"),
]


@pytest.mark.parametrize(("url", "kind"), INTERNAL + NEVER)
def test_internal_addresses_are_refused_at_registration(url: str, kind: str) -> None:
    with pytest.raises(DestinationRefused, match=kind):
        destinations.check_url(url, allow_private=False)


@pytest.mark.parametrize(("url", "kind"), INTERNAL)
def test_the_setting_allows_loopback_and_private_networks(url: str, kind: str) -> None:
    destinations.check_url(url, allow_private=True)
    assert destinations.resolve(url, allow_private=True, timeout=2).addresses


@pytest.mark.parametrize(("url", "kind"), NEVER)
def test_the_setting_never_allows_unspecified_link_local_or_multicast(url: str, kind: str) -> None:
    with pytest.raises(DestinationRefused, match=kind):
        destinations.check_url(url, allow_private=True)


@pytest.mark.parametrize("url", ["http://LOCALHOST./", "http://api.localhost/"])
def test_localhost_names_are_loopback_whatever_the_resolver_says(url: str) -> None:
    with pytest.raises(DestinationRefused, match="loopback"):
        destinations.check_url(url, allow_private=False)


def test_the_message_names_the_address_a_name_resolved_to_and_the_setting() -> None:
    with pytest.raises(DestinationRefused) as refused:
        destinations.check_url("http://2130706433:8000/hook", allow_private=False)
    assert str(refused.value) == (
        "2130706433 (127.0.0.1) is a loopback address: webhooks may not reach it; "
        "set MODERATION_WEBHOOKS_ALLOW_PRIVATE=true to allow private networks"
    )


def test_public_addresses_and_names_that_do_not_resolve_yet_are_accepted() -> None:
    destinations.check_url("https://93.184.216.34/hook", allow_private=False)
    destinations.check_url("https://[2606:2800:220:1::1]/hook", allow_private=False)
    # Checked again at every delivery, when it may resolve.
    destinations.check_url("https://hooks.example/in", allow_private=False)
    with pytest.raises(OSError):
        destinations.resolve("https://hooks.example/in", allow_private=False, timeout=2)


def test_a_resolved_destination_keeps_what_the_connection_needs() -> None:
    found = destinations.resolve(
        "http://user:p%40ss@localhost:8080/in?site=blog", allow_private=True, timeout=2
    )
    assert found.host == "localhost" and found.port == 8080
    assert found.target == "/in?site=blog" and found.host_header == "localhost:8080"
    assert (found.username, found.password) == ("user", "p@ss")
    assert all(ipaddress.ip_address(a).is_loopback for a in found.addresses)
    bare = destinations.resolve("https://[::1]/", allow_private=True, timeout=2)
    assert bare.port == 443 and bare.target == "/" and bare.host_header == "[::1]"


@pytest.mark.parametrize(
    "url", ["ftp://example.org/", "http:///nohost", "http://example.org:99999/", "http://[::1/"]
)
def test_urls_without_a_usable_host_are_refused(url: str) -> None:
    with pytest.raises(DestinationRefused):
        destinations.check_url(url, allow_private=False)
