"""Pods as workload controllers count and rank them: pkg/controller/controller_utils.go
(`IsPodActive`, `ActivePodsWithRanks`); the pod facts themselves are minikube_py/api/pods.py.

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

from datetime import UTC, datetime

from minikube_py.api.meta import Obj, is_being_deleted, meta
from minikube_py.api.pods import is_ready, is_terminal, node_name, phase, ready_since, restart_count
from minikube_py.api.times import parse_time

PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def is_active(pod: Obj) -> bool:
    """IsPodActive: counts toward a ReplicaSet's replicas: not finished and not on its way out."""
    return not is_terminal(pod) and not is_being_deleted(pod)


def creation_time(obj: Obj) -> datetime:
    return parse_time(meta(obj).get("creationTimestamp")) or FAR_FUTURE


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
        PHASE_RANK.get(phase(pod) or "Pending", 0),
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
