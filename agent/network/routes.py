"""host-gw: reach another node's pods through that node, like flannel's host-gw backend.

Every node owns one podCIDR (spec.podCIDR) and has an InternalIP on the shared
lab network, so "10.244.2.0/24 via 192.168.56.12" is all it takes to reach the
pods of node 2 — no tunnel, no encapsulation. The desired set of routes is a
pure function of the Node objects; `sync_routes` makes the kernel's table match
it. Our routes carry their own routing protocol number (like flannel's and
Calico's), so we recognise and remove exactly the ones we added and never
touch anybody else's.
"""
from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from minikube_py.netns import open_iproute

log = logging.getLogger("agent.network.routes")

RTPROT_HOSTGW = 195          # our mark on routes; /etc/iproute2/rt_protos has no 195


def internal_ip(node: dict[str, Any]) -> str | None:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return address.get("address")
    return None


def desired_routes(nodes: Iterable[dict[str, Any]], own_node: str) -> dict[str, str]:
    """{other node's podCIDR: its InternalIP}, for every node that has both."""
    routes = {}
    for node in nodes:
        cidr, via = (node.get("spec") or {}).get("podCIDR"), internal_ip(node)
        if node["metadata"]["name"] != own_node and cidr and via:
            routes[str(ipaddress.ip_network(cidr))] = via
    return routes


@dataclass
class RouteSyncResult:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def current_routes(netns: str | None) -> dict[str, str]:
    """The host-gw routes we installed earlier: {dst cidr: gateway}."""
    with open_iproute(netns) as ipr:
        found = {}
        for route in ipr.get_routes(family=2, table=254):
            if route["proto"] == RTPROT_HOSTGW:
                found[f"{route.get('RTA_DST')}/{route['dst_len']}"] = route.get("RTA_GATEWAY")
        return found


def sync_routes(netns: str | None, wanted: dict[str, str]) -> RouteSyncResult:
    """Add, change and remove our routes so that they equal `wanted` (worker thread only)."""
    result = RouteSyncResult()
    have = current_routes(netns)
    with open_iproute(netns) as ipr:
        for cidr in have.keys() - wanted.keys():
            ipr.route("del", dst=cidr, gateway=have[cidr], proto=RTPROT_HOSTGW)
            result.removed.append(cidr)
        for cidr, via in wanted.items():
            if have.get(cidr) == via:
                continue
            try:
                ipr.route("replace", dst=cidr, gateway=via, proto=RTPROT_HOSTGW)
                result.added.append(cidr)
            except Exception as e:          # e.g. the gateway is not on a connected network
                result.failed[cidr] = f"via {via}: {e}"
                log.warning("host-gw route %s via %s: %s", cidr, via, e)
    return result
