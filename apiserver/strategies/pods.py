"""Pods: Pending status with a QoS class on create, and graceful deletion.

Deleting a pod that runs on a node does not remove it: the apiserver sets
`deletionTimestamp` (now + grace period) and the node agent, after stopping
the containers, confirms with a delete of grace period 0. An unscheduled or
finished pod has nothing to stop, so it goes at once, as in Kubernetes.
"""
from __future__ import annotations

from typing import Any

from minikube_py.api.pods import qos_class

from ..objectmeta import Object
from .base import Strategy

DEFAULT_GRACE_SECONDS = 30


class PodStrategy(Strategy):
    returns_deleted_object = True

    def initial_status(self, obj: Object) -> dict[str, Any]:
        return {"phase": "Pending", "qosClass": qos_class(obj.get("spec") or {})}

    def graceful_deletion_seconds(self, obj: Object, requested: int | None) -> int:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
            return 0
        if requested is not None:
            return max(requested, 0)
        grace = spec.get("terminationGracePeriodSeconds")
        return grace if isinstance(grace, int) and grace >= 0 else DEFAULT_GRACE_SECONDS
