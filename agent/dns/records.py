"""The cluster.local zone, as CoreDNS's kubernetes plugin serves it (the DNS spec for Services):

    <svc>.<ns>.svc.cluster.local              A    the ClusterIP; for a headless service
                                                   (clusterIP: None) every ready endpoint IP
    <hostname>.<svc>.<ns>.svc.cluster.local   A    a headless endpoint that has a hostname
    _<port>._<proto>.<svc>.<ns>.svc...        SRV  each *named* port: priority 0, weight 100
    <a-b-c-d>.<ns>.pod.cluster.local          A    a.b.c.d (CoreDNS's "pods insecure" mode)

A name that exists but has no record of the asked type gets an empty NOERROR
answer (NODATA), so resolvers asking A and AAAA together still succeed; any
other name is NXDOMAIN. Nothing is forwarded upstream. Answers are computed
from the informer caches at query time, so they are as fresh as the watch.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TTL = 5


@dataclass
class Answer:
    exists: bool                                   # False -> NXDOMAIN
    a: list[str] = field(default_factory=list)
    srv: list[tuple[int, str]] = field(default_factory=list)      # (port, target)


Lookup = Callable[[str, str], dict[str, Any] | None]               # (namespace, name) -> object


def _ready_addresses(endpoints: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [a for s in (endpoints or {}).get("subsets") or [] for a in s.get("addresses") or []]


class ClusterZone:
    def __init__(self, service: Lookup, endpoints: Lookup, domain: str = "cluster.local") -> None:
        self.service, self.endpoints = service, endpoints
        self.domain = domain.strip(".").lower()

    def resolve(self, qname: str) -> Answer:
        labels = qname.strip(".").lower().split(".")
        suffix = self.domain.split(".")
        if labels[-len(suffix):] != suffix:
            return Answer(False)
        labels = labels[:-len(suffix)]
        if len(labels) >= 3 and labels[-1] == "svc":
            return self._service_name(labels[:-1])
        if len(labels) == 3 and labels[-1] == "pod":
            return self._pod_name(labels[0])
        return Answer(False)

    def _pod_name(self, dashed: str) -> Answer:
        try:
            return Answer(True, a=[str(ipaddress.IPv4Address(dashed.replace("-", ".")))])
        except ValueError:
            return Answer(False)

    def _service_name(self, labels: list[str]) -> Answer:
        """labels = [..., svc, ns]: svc.ns, host.svc.ns or _port._proto.svc.ns."""
        namespace, name, prefix = labels[-1], labels[-2], labels[:-2]
        service = self.service(namespace, name)
        if service is None:
            return Answer(False)
        if not prefix:
            return self._service_records(service, self.endpoints(namespace, name))
        if len(prefix) == 2 and prefix[0].startswith("_") and prefix[1].startswith("_"):
            return self._srv(service, prefix[0][1:], prefix[1][1:], f"{name}.{namespace}.svc.{self.domain}")
        if len(prefix) == 1:
            hosts = [a["ip"] for a in _ready_addresses(self.endpoints(namespace, name))
                     if a.get("hostname") == prefix[0]]
            return Answer(bool(hosts), a=hosts)
        return Answer(False)

    @staticmethod
    def _service_records(service: dict[str, Any], endpoints: dict[str, Any] | None) -> Answer:
        cluster_ip = (service.get("spec") or {}).get("clusterIP")
        if cluster_ip and cluster_ip != "None":
            return Answer(True, a=[cluster_ip])
        return Answer(True, a=sorted({a["ip"] for a in _ready_addresses(endpoints)}))

    def _srv(self, service: dict[str, Any], port_name: str, proto: str, target: str) -> Answer:
        ports = [p for p in (service.get("spec") or {}).get("ports") or []
                 if (p.get("name") or "").lower() == port_name and (p.get("protocol") or "TCP").lower() == proto]
        return Answer(bool(ports), srv=[(int(p["port"]), target) for p in ports])


def informer_lookup(informer: Any) -> Lookup:
    """Adapt a SharedInformer's cache to the (namespace, name) lookup the zone uses."""
    return lambda namespace, name: informer.get(name, namespace)
