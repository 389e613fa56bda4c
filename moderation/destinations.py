"""Where outbound requests (webhooks) may go: a URL's host resolved, every address it has checked.

Always refused: unspecified (``0.0.0.0``, ``::``), link-local (``169.254.0.0/16``, where clouds
serve instance metadata, and ``fe80::/10``), multicast, broadcast and every other address that is
not globally routable (reserved, documentation, benchmarking ranges). Refused unless private
networks are allowed (``MODERATION_WEBHOOKS_ALLOW_PRIVATE``, for sites whose receiver runs on
their own network): loopback and private networks (RFC 1918, ``100.64.0.0/10``, ``fc00::/7``).

The host is resolved the way the connection will be (``getaddrinfo``, which also reads
``2130706433``, ``0x7f.1``, ``0177.1`` or ``127.1`` as 127.0.0.1), so odd spellings meet the
same check as ``127.0.0.1``. An IPv6 address that carries an IPv4 one (``::ffff:127.0.0.1``,
NAT64, 6to4, Teredo) is judged by the IPv4 address. A name with any refused address is refused
as a whole: a receiver cannot hide an internal address among public ones. The caller connects
to an address returned here, never to the name again, so DNS rebinding cannot switch it.
"""

from __future__ import annotations

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from moderation.exceptions import DestinationRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Reachable only where a setting allows private networks (loopback counts as one).
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "::1/128",
        "fc00::/7",
    )
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
DEFAULT_PORTS = {"http": 80, "https": 443}
ALLOW_HINT = "set MODERATION_WEBHOOKS_ALLOW_PRIVATE=true to allow private networks"

# getaddrinfo cannot be interrupted; a lookup that outlives its deadline finishes in here.
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="resolver")


@dataclass(frozen=True)
class Destination:
    """A URL taken apart, with the addresses its host resolved to, every one of them allowed."""

    scheme: str
    host: str  # ASCII (IDNA), without brackets
    port: int
    target: str  # path and query, as sent on the request line
    addresses: tuple[str, ...]
    username: str | None = None
    password: str | None = None

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4, Teredo, compatible)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64 or (address in IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress, allow_private: bool) -> str | None:
    """Why ``address`` may not be reached ("a loopback address"), or None if it may."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return refusal(inner, allow_private)
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if any(address in network for network in PRIVATE_NETWORKS):
        if allow_private:
            return None
        return "a loopback address" if address.is_loopback else "a private address"
    if not address.is_global or address.is_reserved:
        return "a reserved address"
    return None


def literal_address(host: str) -> str | None:
    """The host as an address if it is written as one in standard form ("::1", "fe80::1%eth0")."""
    try:
        return str(ipaddress.ip_address(unquote(host).split("%", 1)[0]))
    except ValueError:
        return None


def is_localhost(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


def lookup(host: str, port: int, timeout: float) -> list[str]:
    """The addresses ``host`` resolves to, as a connection would resolve it; ``OSError`` if none.

    ``TimeoutError`` if the resolver takes longer than ``timeout`` seconds.
    """
    future = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=max(timeout, 0.01))
    except FutureTimeout:
        raise TimeoutError(f"looking up {host} took over {timeout:.1f} s") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def split(url: str) -> Destination:
    """The parts of an http(s) URL, no addresses yet; ``DestinationRefused`` if it has none."""
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise DestinationRefused(f"{url!r} is not a valid URL: {error}") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise DestinationRefused(f"{url!r} is not an http or https URL with a host")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
        host = parts.hostname.encode("idna").decode("ascii")
    except (ValueError, UnicodeError) as error:
        raise DestinationRefused(f"{url!r} has no valid host and port: {error}") from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(
        scheme=parts.scheme,
        host=host,
        port=port,
        target=target,
        addresses=(),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def check(destination: Destination, addresses: list[str], allow_private: bool) -> Destination:
    """The destination with its addresses, or ``DestinationRefused`` naming the first refused."""
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        reason = refusal(address, allow_private)
        if reason is not None:
            shown = destination.host if destination.host == text else f"{destination.host} ({text})"
            hint = (
                f"; {ALLOW_HINT}" if reason in {"a loopback address", "a private address"} else ""
            )
            raise DestinationRefused(f"{shown} is {reason}: webhooks may not reach it{hint}")
    return Destination(**{**destination.__dict__, "addresses": tuple(addresses)})


def resolve(url: str, *, allow_private: bool, timeout: float) -> Destination:
    """The destination of ``url`` with every address checked, for a connection to be made now.

    ``DestinationRefused`` if the URL or one of its addresses is refused; ``OSError`` (or
    ``TimeoutError``) if the host does not resolve in time.
    """
    destination = split(url)
    literal = literal_address(destination.host)
    addresses = [literal] if literal else lookup(destination.host, destination.port, timeout)
    return check(destination, addresses, allow_private)


def check_url(url: str, *, allow_private: bool, timeout: float = 2.0) -> None:
    """Refuse a URL to register: a refused literal address, or a name resolving to one.

    A name that does not resolve (yet) is accepted: it is checked again at every delivery.
    """
    destination = split(url)
    literal = literal_address(destination.host)
    if literal is None and is_localhost(destination.host):
        literal = "127.0.0.1"  # RFC 6761: always loopback, whatever a resolver says today
    if literal is not None:
        check(destination, [literal], allow_private)
        return
    try:
        addresses = lookup(destination.host, destination.port, timeout)
    except OSError:
        return
    check(destination, addresses, allow_private)
