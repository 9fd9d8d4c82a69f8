"""Obj facts every workload controller needs: Kubernetes' pkg/api/v1/pod helpers and the
pod ranking of pkg/controller/controller_utils.go (`ActivePodsWithRanks`).

A ReplicaSet that must remove pods deletes the "cheapest" ones first. The order
below is Kubernetes' `ActivePodsWithRanks.Less`; the earlier a pod sorts, the
sooner it goes:

1. not scheduled to a node      before  scheduled
2. Pending  before  Unknown  before  Running
3. not Ready  before  Ready
4. doubled up: more pods of the same owner on its node  before  fewer
5. Ready for a shorter time  before  Ready for longer
6. more container restarts  before  fewer
7. created more recently  before  older
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from minikube_py.api.meta import Obj
from minikube_py.api.times import now, parse_time

PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}
FAR_FUTURE = datetime.max.replace(tzinfo=timezone.utc)


def ready_condition(pod: Obj) -> dict[str, Any] | None:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition
    return None


def is_ready(pod: Obj) -> bool:
    condition = ready_condition(pod)
    return condition is not None and condition.get("status") == "True"


def ready_since(pod: Obj) -> datetime | None:
    """When the pod last became Ready (the Ready condition's lastTransitionTime)."""
    condition = ready_condition(pod)
    if condition is None or condition.get("status") != "True":
        return None
    return parse_time(condition.get("lastTransitionTime"))


def is_available(pod: Obj, min_ready_seconds: int, at: datetime | None = None) -> bool:
    """Ready for at least minReadySeconds (Kubernetes' podutil.IsPodAvailable)."""
    if not is_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    since = ready_since(pod)
    return since is not None and (at or now()).timestamp() - since.timestamp() >= min_ready_seconds


def is_terminal(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def is_being_deleted(obj: dict[str, Any]) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def is_active(pod: Obj) -> bool:
    """Counts toward a ReplicaSet's replicas: not finished and not on its way out."""
    return not is_terminal(pod) and not is_being_deleted(pod)


def restart_count(pod: Obj) -> int:
    return sum(int(s.get("restartCount") or 0) for s in (pod.get("status") or {}).get("containerStatuses") or [])


def node_name(pod: Obj) -> str:
    return (pod.get("spec") or {}).get("nodeName") or ""


def creation_time(obj: dict[str, Any]) -> datetime:
    return parse_time((obj.get("metadata") or {}).get("creationTimestamp")) or FAR_FUTURE


def pods_per_node(pods: list[Obj]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for pod in pods:
        if node_name(pod):
            counts[node_name(pod)] = counts.get(node_name(pod), 0) + 1
    return counts


def deletion_order_key(pod: Obj, colocated: int) -> tuple:
    """Sort key: pods that sort first are deleted first (see the module docstring)."""
    since = ready_since(pod)
    return (
        bool(node_name(pod)),
        PHASE_RANK.get((pod.get("status") or {}).get("phase", "Pending"), 0),
        is_ready(pod),
        -colocated,
        -since.timestamp() if since else 0.0,
        -restart_count(pod),
        -creation_time(pod).timestamp(),
    )


def pods_to_delete(pods: list[Obj], count: int, related: list[Obj] | None = None) -> list[Obj]:
    """The `count` pods a ReplicaSet should delete first; `related` pods (by default `pods`)
    decide how doubled-up each node is."""
    per_node = pods_per_node(related if related is not None else pods)
    ranked = sorted(pods, key=lambda pod: deletion_order_key(pod, per_node.get(node_name(pod), 0)))
    return ranked[:count]
