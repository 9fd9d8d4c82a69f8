"""The API server's configuration, typed: kube-apiserver's ServerRunOptions (what the flags
set, apiserver/cli.py) and what the REST layer is built with once etcd is reached.

    ApiServerOptions   flags: addresses, etcd, service ranges, watch bookmarks, Event TTL,
                       admission (admission/chain.py AdmissionOptions), input limits (limits.py)
    RegistryConfig     what handlers, strategies and watches read at request time
"""
from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from .admission import AdmissionOptions
from .admission.chain import enabled_plugins
from .allocator import ServiceRanges
from .leases import LeaseManager
from .limits import DEFAULT as DEFAULT_LIMITS
from .limits import Limits


@dataclass(frozen=True)
class ApiServerOptions:
    etcd_servers: str = "http://127.0.0.1:2379"
    etcd_prefix: str = "/registry"
    bind_address: str = "127.0.0.1"
    port: int = 6443
    advertise_address: str | None = None
    service_cluster_ip_range: str = "10.96.0.0/12"
    service_node_port_range: str = "30000-32767"
    bookmark_interval: float = 10.0
    event_ttl_seconds: int = 3600
    admission: AdmissionOptions = field(default_factory=AdmissionOptions)
    limits: Limits = DEFAULT_LIMITS               # limits.py: what one request may cost

    def validate(self) -> None:
        """ValueError naming the flag, before anything starts (kube-apiserver's options.Validate)."""
        try:
            ipaddress.IPv4Network(self.service_cluster_ip_range)
        except ValueError as e:
            raise ValueError(f"--service-cluster-ip-range: {e}") from e
        try:
            low, high = (int(x) for x in self.service_node_port_range.split("-"))
        except ValueError:
            raise ValueError(f"--service-node-port-range: {self.service_node_port_range!r} is not "
                             "LOW-HIGH") from None
        if not 0 < low <= high < 65536:
            raise ValueError("--service-node-port-range: node port range out of bounds")
        enabled_plugins(self.admission)

    def etcd_host_port(self) -> tuple[str, int]:
        first = self.etcd_servers.split(",")[0].strip()
        url = urlparse(first if "://" in first else f"http://{first}")
        return url.hostname or "127.0.0.1", url.port or 2379

    def service_ranges(self) -> ServiceRanges:
        low, high = (int(x) for x in self.service_node_port_range.split("-"))
        return ServiceRanges(ipaddress.IPv4Network(self.service_cluster_ip_range), range(low, high + 1))

    def advertised(self) -> str:
        if self.advertise_address:
            return self.advertise_address
        return "127.0.0.1" if self.bind_address in ("0.0.0.0", "") else self.bind_address


@dataclass(frozen=True)
class RegistryConfig:
    """What the REST handlers and the types' strategies are built with (Kubernetes' RESTOptions
    and the per-type settings of its storage providers)."""
    service_ranges: ServiceRanges
    leases: LeaseManager
    bookmark_interval: float = 10.0
    ttl_seconds: Mapping[str, int] = field(default_factory=dict)    # plural -> seconds (Events: --event-ttl)

    def ttl_of(self, plural: str) -> int | None:
        return self.ttl_seconds.get(plural)
