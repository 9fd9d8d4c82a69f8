"""What exists from the start: system namespaces, system PriorityClasses and the `kubernetes` Service.

Kubernetes' apiserver creates `default`, `kube-system`, `kube-public` and
`kube-node-lease` at start-up, the PriorityClasses `system-cluster-critical`
and `system-node-critical`, and keeps the `kubernetes` Service (the first
address of the service range) with Endpoints pointing at the API servers, so
that pods can reach the API at https://kubernetes.default.svc.

Our API server speaks plain HTTP (a teaching lab; see the README), so the
Service port is named "https" and numbered 443 for compatibility, while the
Endpoints carry the real port. With several API servers the last one to
start wins the Endpoints (Kubernetes uses a lease-based reconciler here).
"""
from __future__ import annotations

import ipaddress
import logging
from typing import Any

from minikube_py.api import errors
from minikube_py.api.resources import by_kind
from minikube_py.api.validation.priority import SYSTEM_PRIORITY_CLASSES

log = logging.getLogger("apiserver.bootstrap")
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


async def ensure(api: Any, advertise_address: str, port: int) -> None:
    """Create what is missing; leave what exists alone (safe on every restart)."""
    for name in SYSTEM_NAMESPACES:
        await _create_if_missing(api, "Namespace", None, {"metadata": {"name": name}})
    for name, value in SYSTEM_PRIORITY_CLASSES.items():
        await _create_if_missing(api, "PriorityClass", None, {
            "metadata": {"name": name}, "value": value,
            "description": "Used for system critical pods that must not be moved from their current node."
            if name == "system-node-critical" else "Used for system critical pods that must run in the cluster, "
            "but can be moved to another node if necessary."}, "scheduling.k8s.io/v1")
    ranges = api.config.service_ranges
    await _create_if_missing(api, "Service", "default", {
        "metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"clusterIP": ranges.first_ip, "type": "ClusterIP", "sessionAffinity": "None",
                 "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}]},
    })
    if ipaddress.ip_address(advertise_address).is_loopback:
        log.info("not publishing kubernetes Endpoints: %s is a loopback address (set --advertise-address)",
                 advertise_address)
        return
    endpoints_rt = by_kind("v1", "Endpoints")
    subsets = [{"addresses": [{"ip": advertise_address}],
                "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}]
    try:
        current = await api.store.get(endpoints_rt, "default", "kubernetes")
        if current.get("subsets") != subsets:
            current["subsets"] = subsets
            await api.store.update(endpoints_rt, current, int(current["metadata"]["resourceVersion"]))
    except errors.ApiError as e:
        if e.reason != "NotFound":
            raise
        await _create_if_missing(api, "Endpoints", "default", {
            "metadata": {"name": "kubernetes", "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
            "subsets": subsets})


async def _create_if_missing(api: Any, kind: str, namespace: str | None, obj: dict[str, Any],
                             api_version: str = "v1") -> None:
    rt = by_kind(api_version, kind)
    assert rt is not None
    obj = {"apiVersion": api_version, "kind": kind, **obj}
    try:
        await api.create_object(rt, namespace, obj)
        log.info("created %s %s", kind, obj["metadata"]["name"])
    except errors.ApiError as e:
        if e.reason != "AlreadyExists":
            raise
