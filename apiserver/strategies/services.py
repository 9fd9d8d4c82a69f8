"""Services: a ClusterIP and NodePorts claimed atomically with the object.

See allocator.py for the storage scheme. Explicitly requested values are
honoured or refused with 422 Invalid; dynamic ones are retried on a lost race.
As Kubernetes' `patchAllocatedValues` does, an update that leaves clusterIP or
a nodePort empty keeps the allocated value instead of asking for a new one.
"""
from __future__ import annotations

from typing import Any

from minikube_py.api import errors
from minikube_py.api.resources import ResourceType

from ..allocator import ServiceRanges, ip_key, node_port_key
from ..objectmeta import Object
from ..options import RegistryConfig
from ..storage import ExtrasConflict, Store, TxnExtras
from .base import Strategy

ATTEMPTS = 32


def _wants_cluster_ip(spec: dict[str, Any]) -> bool:
    return spec.get("type", "ClusterIP") != "ExternalName" and spec.get("clusterIP") != "None"


def _wants_node_ports(spec: dict[str, Any]) -> bool:
    return spec.get("type") in ("NodePort", "LoadBalancer")


def _ports(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in spec.get("ports") or [] if isinstance(p, dict)]


def _allocated(spec: dict[str, Any]) -> tuple[str | None, set[int]]:
    ip = spec.get("clusterIP") if _wants_cluster_ip(spec) else None
    ports = {p["nodePort"] for p in _ports(spec) if isinstance(p.get("nodePort"), int) and p["nodePort"]} \
        if _wants_node_ports(spec) else set()
    return ip or None, ports


class ServiceStrategy(Strategy):
    returns_deleted_object = True

    def __init__(self, rt: ResourceType, config: RegistryConfig) -> None:
        super().__init__(rt, config)
        self.ranges: ServiceRanges = config.service_ranges

    # -- keeping allocations across updates -----------------------------------
    def prepare_for_update(self, new: Object, old: Object) -> None:
        super().prepare_for_update(new, old)
        spec, old_spec = new.setdefault("spec", {}), old.get("spec") or {}
        if not isinstance(spec, dict):
            return
        if _wants_cluster_ip(spec) and not spec.get("clusterIP") and _wants_cluster_ip(old_spec):
            spec["clusterIP"] = old_spec.get("clusterIP")
            spec["clusterIPs"] = old_spec.get("clusterIPs", [old_spec.get("clusterIP")])
        if _wants_node_ports(old_spec) and not _wants_node_ports(spec):
            # Leaving NodePort/LoadBalancer: drop what only made sense there, unless the
            # user set it in this very update (Kubernetes' dropTypeDependentFields).
            if spec.get("externalTrafficPolicy") == old_spec.get("externalTrafficPolicy"):
                spec.pop("externalTrafficPolicy", None)
            old_node_ports = {p.get("nodePort") for p in _ports(old_spec)}
            for port in _ports(spec):
                if port.get("nodePort") in old_node_ports:
                    del port["nodePort"]
        if _wants_node_ports(spec) and _wants_node_ports(old_spec):
            old_ports = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort") for p in _ports(old_spec)}
            for port in _ports(spec):
                if not port.get("nodePort"):
                    port["nodePort"] = old_ports.get((port.get("port"), port.get("protocol", "TCP")))
                    if port["nodePort"] is None:
                        del port["nodePort"]

    # -- writes -----------------------------------------------------------
    # A dry run picks and checks values like a real write (the answer shows the
    # clusterIP/nodePorts that would be stored) but claims nothing: no leak.
    async def create(self, store: Store, obj: Object, dry_run: bool = False) -> Object:
        return await self._write(store, obj, None, dry_run)

    async def update(self, store: Store, new: Object, old: Object, dry_run: bool = False) -> Object:
        return await self._write(store, new, old, dry_run)

    async def delete(self, store: Store, obj: Object, dry_run: bool = False) -> Object:
        ip, ports = _allocated(obj.get("spec") or {})
        extras = TxnExtras(deletes=self._keys(store, ip, ports))
        return await store.delete(self.rt, obj, extras, dry_run=dry_run)

    def _keys(self, store: Store, ip: str | None, ports: set[int]) -> list[bytes]:
        keys = [ip_key(store.prefix, ip)] if ip else []
        return keys + [node_port_key(store.prefix, p) for p in sorted(ports)]

    async def _write(self, store: Store, obj: Object, old: Object | None, dry_run: bool) -> Object:
        spec = obj["spec"]
        self._check_explicit(obj)
        explicit_ip, explicit_ports = _allocated(spec)
        old_ip, old_ports = _allocated(old.get("spec") or {}) if old else (None, set())
        owner = f'{obj["metadata"].get("namespace")}/{obj["metadata"]["name"]}'.encode()
        for _ in range(ATTEMPTS):
            candidate = self._fill_dynamic(spec)
            new_ip, new_ports = _allocated(candidate)
            claims = self._keys(store, new_ip if new_ip != old_ip else None, new_ports - old_ports)
            releases = self._keys(store, old_ip if old_ip != new_ip else None, old_ports - new_ports)
            extras = TxnExtras(absent_keys=claims, puts=[(k, owner) for k in claims], deletes=releases)
            obj["spec"] = candidate
            try:
                if old is None:
                    return await store.create(self.rt, obj, extras, dry_run=dry_run)
                return await store.update(self.rt, obj, int(old["metadata"]["resourceVersion"]), extras,
                                          dry_run=dry_run)
            except ExtrasConflict:
                await self._refuse_taken_explicit(store, obj, explicit_ip if explicit_ip != old_ip else None,
                                                  explicit_ports - old_ports)
        raise errors.internal("could not allocate a free service IP or node port; the ranges may be full")

    def _fill_dynamic(self, spec: dict[str, Any]) -> dict[str, Any]:
        """A copy of spec with every missing clusterIP / nodePort given a random free-looking value."""
        candidate = {**spec, "ports": [dict(p) for p in _ports(spec)]}
        if _wants_cluster_ip(candidate):
            ip = candidate.get("clusterIP") or self.ranges.random_ip()
            candidate["clusterIP"], candidate["clusterIPs"] = ip, [ip]
            candidate.setdefault("ipFamilies", ["IPv4"])
            candidate.setdefault("ipFamilyPolicy", "SingleStack")
        if _wants_node_ports(candidate):
            for port in candidate["ports"]:
                port["nodePort"] = port.get("nodePort") or self.ranges.random_node_port()
        return candidate

    def _check_explicit(self, obj: Object) -> None:
        spec = obj["spec"]
        ip = spec.get("clusterIP")
        if _wants_cluster_ip(spec) and ip and not self.ranges.contains_ip(ip):
            self._invalid(obj, "spec.clusterIP", f"Invalid value: \"{ip}\": provided IP is not in the "
                          f"valid range. The range of valid IPs is {self.ranges.cidr}")
        for i, port in enumerate(_ports(spec)):
            node_port = port.get("nodePort")
            if node_port and _wants_node_ports(spec) and node_port not in self.ranges.node_ports:
                self._invalid(obj, f"spec.ports[{i}].nodePort",
                              f"Invalid value: {node_port}: provided port is not in the valid range. "
                              f"The range of valid ports is {self.ranges.node_ports.start}-"
                              f"{self.ranges.node_ports.stop - 1}")

    async def _refuse_taken_explicit(self, store: Store, obj: Object, ip: str | None, ports: set[int]) -> None:
        if ip and await store.exists(ip_key(store.prefix, ip)):
            self._invalid(obj, "spec.clusterIP", f'Invalid value: "{ip}": provided IP is already allocated')
        for i, port in enumerate(_ports(obj["spec"])):
            if port.get("nodePort") in ports and \
                    await store.exists(node_port_key(store.prefix, port["nodePort"])):
                self._invalid(obj, f"spec.ports[{i}].nodePort",
                              f"Invalid value: {port['nodePort']}: provided port is already allocated")

    def _invalid(self, obj: Object, field: str, message: str) -> None:
        name = (obj.get("metadata") or {}).get("name", "")
        raise errors.invalid("Service", name, [errors.cause(field, message)])
