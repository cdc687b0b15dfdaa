"""The client's IP address of a request, trusting ``X-Forwarded-For`` only from known proxies.

Behind a reverse proxy (``deploy/nginx.conf``) every request comes from the proxy's address;
``CONSOLE_TRUSTED_PROXIES`` (addresses or networks, comma-separated, e.g.
``127.0.0.1,10.0.0.0/8``) says which peers are proxies. From a trusted peer, the client is
the right-most address of ``X-Forwarded-For`` that is not itself a trusted proxy (what a
client writes at the left is not believed). From any other peer the header is ignored.
"""

from __future__ import annotations

import ipaddress
from typing import List, Optional, Union

from aiohttp import web

from bot.config import settings

ENV_VAR = "CONSOLE_TRUSTED_PROXIES"
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def trusted_proxies(raw: Optional[str] = None) -> List[Network]:
    """The networks of ``CONSOLE_TRUSTED_PROXIES`` (``ValueError`` with a Spanish message if malformed)."""
    raw = settings().console_trusted_proxies if raw is None else raw
    networks = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{ENV_VAR}: '{item}' no es una dirección IP ni una red válida") from None
    return networks


def _address(text: str) -> Optional[Union[ipaddress.IPv4Address, ipaddress.IPv6Address]]:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(request: web.Request, proxies: List[Network]) -> str:
    """The address to count failed logins against (the peer's, unless it is a trusted proxy)."""
    peer = request.remote or ""
    peer_ip = _address(peer)
    if peer_ip is None or not any(peer_ip in net for net in proxies):
        return peer
    hops = [h for header in request.headers.getall("X-Forwarded-For", []) for h in header.split(",")]
    for hop in reversed(hops):
        ip = _address(hop)
        if ip is None:
            return peer  # a malformed chain: count it against the proxy rather than believe it
        if not any(ip in net for net in proxies):
            return str(ip)
    return peer
