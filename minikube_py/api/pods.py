"""Facts about a pod that every component reads the same way: Kubernetes' pkg/api/v1/pod
helpers and the QoS class of pkg/apis/core/helper/qos (ComputePodQOS).

QoS class, from the cpu and memory requests and limits of the app and init containers
(only quantities above zero count; a limit without a request has already been copied
into the request by defaulting):

- BestEffort  no container requests or limits cpu or memory;
- Guaranteed  every container has both a cpu and a memory limit, and for each of cpu
              and memory the pod's summed requests equal its summed limits — compared
              as quantities, so `cpu: 1000m` equals `cpu: 1`;
- Burstable   everything else.

The API server writes it into status.qosClass when the pod is created and the kubelet
writes it in every status update: both call `qos_class`, so they cannot disagree.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from minikube_py.api.conditions import find_condition, is_true
from minikube_py.api.meta import Obj
from minikube_py.api.quantity import QuantityError, parse_quantity
from minikube_py.api.times import now, parse_time

GUARANTEED, BURSTABLE, BEST_EFFORT = "Guaranteed", "Burstable", "BestEffort"
QOS_RESOURCES = ("cpu", "memory")          # isSupportedQoSComputeResource


def containers(spec: Mapping[str, Any], *, init: bool = True) -> Iterator[Mapping[str, Any]]:
    """The app containers, then (unless init=False) the init containers; junk entries skipped."""
    fields = ("containers", "initContainers") if init else ("containers",)
    for field_name in fields:
        listed = spec.get(field_name) if isinstance(spec, Mapping) else None
        for container in listed if isinstance(listed, list) else []:
            if isinstance(container, dict):
                yield container


def container_resources(container: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    """A container's `requests` or `limits` (an empty mapping when it has none)."""
    resources = container.get("resources") or {}
    values = resources.get(kind) if isinstance(resources, dict) else None
    return values if isinstance(values, dict) else {}


def _positive(quantity: Any) -> Decimal | None:
    try:
        value = parse_quantity(quantity)
    except QuantityError:
        return None                 # validation refuses it; here it simply does not count
    return value if value > 0 else None


def qos_class(spec: Mapping[str, Any]) -> str:
    """ComputePodQOS for a pod spec (see the module docstring)."""
    requests: dict[str, Decimal] = {}
    limits: dict[str, Decimal] = {}
    guaranteed = True
    for container in containers(spec):
        for kind, totals in (("requests", requests), ("limits", limits)):
            for name, quantity in container_resources(container, kind).items():
                value = _positive(quantity) if name in QOS_RESOURCES else None
                if value is not None:
                    totals[name] = totals.get(name, Decimal(0)) + value
        limited = {name for name, q in container_resources(container, "limits").items()
                   if name in QOS_RESOURCES and _positive(q) is not None}
        guaranteed = guaranteed and limited == set(QOS_RESOURCES)
    if not requests and not limits:
        return BEST_EFFORT
    if guaranteed and requests.keys() == limits.keys() and all(limits[n] == requests[n] for n in requests):
        return GUARANTEED
    return BURSTABLE


# ---- phase and readiness (pkg/api/v1/pod) -------------------------------------------------------

def phase(pod: Obj) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def is_terminal(pod: Obj) -> bool:
    """Succeeded or Failed: nothing of it runs any more."""
    return phase(pod) in ("Succeeded", "Failed")


def ready_condition(pod: Obj) -> Obj | None:
    return find_condition((pod.get("status") or {}).get("conditions"), "Ready")


def is_ready(pod: Obj) -> bool:
    """podutil.IsPodReady: the Ready condition is True."""
    return is_true(ready_condition(pod))


def ready_since(pod: Obj) -> datetime | None:
    """When the pod last became Ready (the Ready condition's lastTransitionTime); None when not Ready."""
    condition = ready_condition(pod)
    return parse_time(condition.get("lastTransitionTime")) if is_true(condition) and condition else None


def is_available(pod: Obj, min_ready_seconds: int, at: datetime | None = None) -> bool:
    """podutil.IsPodAvailable: Ready for at least minReadySeconds."""
    if not is_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    since = ready_since(pod)
    return since is not None and (at or now()).timestamp() - since.timestamp() >= min_ready_seconds


def node_name(pod: Obj) -> str:
    return (pod.get("spec") or {}).get("nodeName") or ""


def restart_count(pod: Obj) -> int:
    return sum(int(s.get("restartCount") or 0) for s in (pod.get("status") or {}).get("containerStatuses") or [])
