"""Pods: Pending status with a QoS class on create, and graceful deletion.

Deleting a pod that runs on a node does not remove it: the apiserver sets
`deletionTimestamp` (now + grace period) and the node agent, after stopping
the containers, confirms with a delete of grace period 0. An unscheduled or
finished pod has nothing to stop, so it goes at once, as in Kubernetes.
"""
from __future__ import annotations

from typing import Any

from minikube_py.api.quantity import parse_quantity

from ..objectmeta import Object
from .base import Strategy

DEFAULT_GRACE_SECONDS = 30


def qos_class(spec: dict[str, Any]) -> str:
    """Guaranteed / Burstable / BestEffort, from the containers' requests and limits."""
    containers = [c for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
                  if isinstance(c, dict)]
    requests_seen = limits_seen = False
    guaranteed = True
    for container in containers:
        resources = container.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        requests_seen |= any(r in requests for r in ("cpu", "memory"))
        limits_seen |= any(r in limits for r in ("cpu", "memory"))
        for resource in ("cpu", "memory"):
            limit = limits.get(resource)
            request = requests.get(resource, limit)
            if limit is None or parse_quantity(request) != parse_quantity(limit):
                guaranteed = False
    if not requests_seen and not limits_seen:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


class PodStrategy(Strategy):
    returns_deleted_object = True

    def initial_status(self, obj: Object) -> dict[str, Any]:
        try:
            qos = qos_class(obj.get("spec") or {})
        except (ValueError, TypeError, AttributeError):
            qos = "BestEffort"   # validation has already rejected bad quantities
        return {"phase": "Pending", "qosClass": qos}

    def graceful_deletion_seconds(self, obj: Object, requested: int | None) -> int:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
            return 0
        if requested is not None:
            return max(requested, 0)
        grace = spec.get("terminationGracePeriodSeconds")
        return grace if isinstance(grace, int) and grace >= 0 else DEFAULT_GRACE_SECONDS
