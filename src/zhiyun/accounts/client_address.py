"""The address a request came from, as the login throttle counts it (API and console alike).

The direct peer (`request.client.host`) is the client unless it is one of the configured
trusted proxies (`ZHIYUN_TRUSTED_PROXIES`: addresses or networks of the load balancers in
front of the API). Only then is `X-Forwarded-For` read, from the right: each trusted proxy
appends the address it saw, so the right-most address that is *not* a trusted proxy is
the client; whatever lies left of it was written by the client and could be anything.
A malformed entry ends the walk at the last trusted hop (the chain cannot be followed past
it, and a proxy's address is over-counted rather than a forged one believed).

uvicorn (`zhiyun serve`) already does the same for proxies on the same machine
(127.0.0.1 and ::1, its FORWARDED_ALLOW_IPS), before the request reaches us.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.requests import Request

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


def _networks(trusted: Iterable[str]) -> list[IPNetwork]:
    networks: list[IPNetwork] = []
    for entry in trusted:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue  # a typo in the setting trusts nothing rather than failing every login
    return networks


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = value.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:51234"
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: Sequence[IPNetwork]) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    candidates = (address,) if mapped is None else (address, mapped)
    return any(a.version == n.version and a in n for a in candidates for n in networks)


def resolve_client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted_proxies: Iterable[str]
) -> str:
    """The client's address from the direct peer and the X-Forwarded-For header values."""
    if not peer:
        return UNKNOWN
    networks = _networks(trusted_proxies)
    last = _parse(peer)
    if last is None or not networks or not _trusted(last, networks):
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break
        if not _trusted(address, networks):
            return str(address)
        last = address
    return str(last)


def client_address(request: Request, trusted_proxies: Iterable[str]) -> str:
    """The address a request came from (see the module's docstring)."""
    peer = request.client.host if request.client is not None else None
    return resolve_client_address(peer, request.headers.getlist("x-forwarded-for"), trusted_proxies)
