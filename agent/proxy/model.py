"""What kube-proxy needs from a Service and its Endpoints: one ServicePort per service port.

kube-proxy flattens Services and Endpoints into "service ports" (ServicePortName
= namespace/name:portname) each with a list of ready endpoints (ip:port). Named
target ports need no lookup here: the endpoints controller already resolved
them, and the Endpoints subset port carries the *service* port's name with the
resolved number — so we match by name. notReadyAddresses are not endpoints.
Chain names are kube-proxy's: a prefix plus the first 16 characters of
base32(sha256(...)), so they are stable, unique and fit iptables' 28 chars.
"""
from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@functools.lru_cache(maxsize=1 << 17)      # base32 is slow in pure Python; names never change
def chain_hash(*parts: str) -> str:
    return base64.b32encode(hashlib.sha256("".join(parts).encode()).digest()).decode()[:16]


@dataclass(frozen=True)
class Endpoint:
    ip: str
    port: int

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"


@dataclass(frozen=True)
class ServicePort:
    namespace: str
    name: str
    port_name: str
    protocol: str              # TCP | UDP
    cluster_ip: str
    port: int
    node_port: int | None
    affinity_seconds: int | None          # sessionAffinity ClientIP timeout, None = no affinity
    endpoints: tuple[Endpoint, ...]

    @property
    def key(self) -> str:
        """kube-proxy's ServicePortName.String(): ns/name, plus :port when the port is named."""
        return f"{self.namespace}/{self.name}" + (f":{self.port_name}" if self.port_name else "")

    @property
    def proto(self) -> str:
        return self.protocol.lower()

    @property
    def svc_chain(self) -> str:
        return "KUBE-SVC-" + chain_hash(self.key, self.proto)

    def sep_chain(self, endpoint: Endpoint) -> str:
        return "KUBE-SEP-" + chain_hash(self.key, self.proto, endpoint.address)


def _endpoints_for(port: dict[str, Any], endpoints: dict[str, Any] | None) -> tuple[Endpoint, ...]:
    """Ready addresses of the Endpoints subsets whose port has this service port's name."""
    wanted_name, wanted_proto = port.get("name") or "", port.get("protocol") or "TCP"
    found: list[Endpoint] = []
    for subset in (endpoints or {}).get("subsets") or []:
        for ep_port in subset.get("ports") or []:
            if (ep_port.get("name") or "") == wanted_name and (ep_port.get("protocol") or "TCP") == wanted_proto:
                found += [Endpoint(a["ip"], int(ep_port["port"])) for a in subset.get("addresses") or []]
    return tuple(sorted(set(found), key=lambda e: (e.ip, e.port)))


def _affinity_seconds(spec: dict[str, Any]) -> int | None:
    if spec.get("sessionAffinity") != "ClientIP":
        return None
    config = (spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}
    return int(config.get("timeoutSeconds") or 10800)


def service_ports(service: dict[str, Any], endpoints: dict[str, Any] | None) -> list[ServicePort]:
    """The service ports kube-proxy programs (none for headless or ExternalName services)."""
    spec, meta = service.get("spec") or {}, service["metadata"]
    cluster_ip = spec.get("clusterIP")
    if spec.get("type") == "ExternalName" or not cluster_ip or cluster_ip == "None":
        return []
    return [ServicePort(namespace=meta.get("namespace", "default"), name=meta["name"],
                        port_name=port.get("name") or "", protocol=port.get("protocol") or "TCP",
                        cluster_ip=cluster_ip, port=int(port["port"]), node_port=port.get("nodePort") or None,
                        affinity_seconds=_affinity_seconds(spec), endpoints=_endpoints_for(port, endpoints))
            for port in spec.get("ports") or [] if (port.get("protocol") or "TCP") in ("TCP", "UDP")]


def all_service_ports(services: Iterable[dict[str, Any]],
                      endpoints_by_key: dict[tuple[str, str], dict[str, Any]]) -> list[ServicePort]:
    ports: list[ServicePort] = []
    for service in services:
        meta = service["metadata"]
        ports += service_ports(service, endpoints_by_key.get((meta.get("namespace", "default"), meta["name"])))
    return sorted(ports, key=lambda p: (p.key, p.proto))
