"""Stale UDP conntrack entries, cleared as kube-proxy's conntrack cleanup does.

TCP needs nothing: a connection to a removed endpoint dies (RST or timeout)
and the next one is NATed afresh. UDP has no connections; conntrack keeps
NATing a client's datagrams to the old endpoint for as long as it keeps
talking. So when a UDP endpoint goes away we delete the entries DNATed to it,
and when a UDP service port gets its first endpoint we delete the entries made
while it had none. `conntrack -D` exits 1 when nothing matched: not an error.
"""
from __future__ import annotations

import logging

from agent.proxy.iptables import run
from agent.proxy.model import ServicePort

log = logging.getLogger("agent.proxy.conntrack")


def _delete(netns: str | None, filters: list[str]) -> None:
    result = run(netns, ["conntrack", "-D", "-p", "udp", *filters], check=False)
    if result.returncode not in (0, 1):
        log.warning("conntrack -D %s: %s", " ".join(filters), result.stderr.decode().strip())


def stale_udp_filters(old: dict[str, ServicePort], new: dict[str, ServicePort]) -> list[list[str]]:
    """conntrack filters for every UDP flow that now points at the wrong place."""
    filters: list[list[str]] = []
    for key, before in old.items():
        if before.protocol != "UDP":
            continue
        current = new.get(key)
        remaining = set(current.endpoints) if current else set()
        for ep in set(before.endpoints) - remaining:
            filters.append(["--orig-dst", before.cluster_ip, "--dst-nat", ep.ip])
            if before.node_port:
                filters.append(["--dport", str(before.node_port), "--dst-nat", ep.ip])
    for key, after in new.items():
        previous = old.get(key)
        if after.protocol == "UDP" and after.endpoints and (previous is None or not previous.endpoints):
            filters.append(["--orig-dst", after.cluster_ip])
    return filters


def clear_stale_udp(netns: str | None, old: dict[str, ServicePort], new: dict[str, ServicePort]) -> int:
    filters = stale_udp_filters(old, new)
    for f in filters:
        _delete(netns, f)
    return len(filters)
