"""What `opsbook serve` (or a test) tells the web app besides the config and the store."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class WebSettings:
    """`public_reads`: pages open without login (serve sets it when bound to loopback). `trust_user_header`
    names the header a reverse proxy sets to the signed-in user; it is believed only from the addresses in
    `trusted_proxies`. `sandbox`: "run now" starts the built-in sandbox for the run (the demo's store).
    `workdir`: the directory background commands run in (relative store paths resolve there)."""

    public_reads: bool = True
    trust_user_header: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    sandbox: bool = False
    workdir: Path = field(default_factory=Path.cwd)
    scheduling: bool = (
        False  # `serve --schedule`: the calendar runs in this process (the Schedule page says so)
    )


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def canonical_address(host: str) -> str:
    """`host` as `--trusted-proxy` stores it: canonical text, an IPv4-mapped IPv6 peer (`::ffff:10.0.0.5`,
    what a dual-stack listener sees for an IPv4 proxy) as its IPv4 address; not an address: as it is."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    mapped = getattr(ip, "ipv4_mapped", None)
    return str(mapped or ip)


def from_trusted_proxy(settings: WebSettings, client_host: str | None) -> bool:
    """Whether the peer is one of `--trusted-proxy`'s addresses (the only ones believed about the user and
    the scheme)."""
    return client_host is not None and canonical_address(client_host) in settings.trusted_proxies


def forwarded_client(settings: WebSettings, forwarded_for: str) -> str | None:
    """The client a trusted proxy forwarded for: the last `X-Forwarded-For` entry that is not one of
    `--trusted-proxy`'s addresses (entries to its left were written by the client and may be forged). None
    when there is none or it is not an IP address (then the proxy's own address counts)."""
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        hop = canonical_address(hop)
        if hop in settings.trusted_proxies:
            continue
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:
            return None
    return None


def address_key(host: str) -> str:
    """What one client is, for per-client limits: an IPv4 address; an IPv6 address's /64 (one host usually has
    a whole /64 to pick addresses from); anything else as it is."""
    try:
        ip = ipaddress.ip_address(canonical_address(host))
    except ValueError:
        return host
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)
