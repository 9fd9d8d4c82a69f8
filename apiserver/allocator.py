"""Service ClusterIP and NodePort allocation, persisted in etcd.

Kubernetes (since the MultiCIDRServiceAllocator work) records every allocated
Service IP as its own object, so two API servers can never hand out the same
address. We do the same with one etcd key per allocated value:

    <prefix>/ranges/serviceips/10.96.0.42        -> "default/my-service"
    <prefix>/ranges/servicenodeports/30080       -> "default/my-service"

The keys are claimed in the *same transaction* that writes the Service (a
"must not exist yet" compare plus a put), and released in the transaction
that deletes it. A lost race simply fails the transaction and we pick again.
"""
from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass

NODE_PORT_RANGE = range(30000, 32768)


@dataclass(frozen=True)
class ServiceRanges:
    cidr: ipaddress.IPv4Network
    node_ports: range = NODE_PORT_RANGE

    @property
    def first_ip(self) -> str:
        """The address of the `kubernetes` service (10.96.0.1 in 10.96.0.0/12)."""
        return str(self.cidr.network_address + 1)

    def contains_ip(self, ip: str) -> bool:
        try:
            return ipaddress.IPv4Address(ip) in self.cidr and ip not in (
                str(self.cidr.network_address), str(self.cidr.broadcast_address))
        except ValueError:
            return False

    def random_ip(self) -> str:
        """A dynamic address. Like Kubernetes, dynamic picks stay out of the low
        "static" band (first 1/16, at least 16, at most 256 addresses) that
        users reserve for well-known services such as DNS at .10."""
        size = self.cidr.num_addresses
        band = min(max(16, size // 16), 256)
        offset = random.randrange(band, size - 1)
        return str(self.cidr.network_address + offset)

    def random_node_port(self) -> int:
        return random.choice(self.node_ports)


def ip_key(prefix: str, ip: str) -> bytes:
    return f"{prefix}/ranges/serviceips/{ip}".encode()


def node_port_key(prefix: str, port: int) -> bytes:
    return f"{prefix}/ranges/servicenodeports/{port}".encode()
