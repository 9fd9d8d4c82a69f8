"""NodeResourcesFit: kube-scheduler's plugins/noderesources/fit.go and least_allocated.go.

Filter: the pod's effective requests (resources.py) must fit into what the
node's allocatable leaves after the requests of the pods already there (bound
and assumed), and the node must have room for one more pod. Every shortage is
a reason of its own, in kube-scheduler's words: `Too many pods`,
`Insufficient cpu`, `Insufficient memory`, `Insufficient ephemeral-storage`,
`Insufficient example.com/gpu`.
Score (LeastAllocated, kube-scheduler's default strategy): for cpu and memory,
the free fraction left after placing the pod, 0..100, averaged (weights 1, 1).
Scoring counts containers without requests as 100m CPU / 200Mi, as kube-scheduler does.
"""
from __future__ import annotations

from scheduler.framework import (MAX_NODE_SCORE, NODE_ADD, NODE_UPDATE, POD_DELETE, CycleState, FilterPlugin,
                                 ScorePlugin, Status, unschedulable)
from scheduler.nodeinfo import NodeInfo
from scheduler.podinfo import PodInfo
from scheduler.resources import CPU, EPHEMERAL_STORAGE, MEMORY

SCORED_RESOURCES = ((CPU, 1), (MEMORY, 1))


def insufficient_resources(pod: PodInfo, node: NodeInfo) -> list[str]:
    reasons = []
    if len(node.pods) + 1 > node.allowed_pods:
        reasons.append("Too many pods")
    request = pod.requests
    if request.is_zero():
        return reasons
    for name in (CPU, MEMORY, EPHEMERAL_STORAGE, *sorted(request.scalar)):
        wanted = request.get(name)
        if wanted > 0 and wanted > node.allocatable.get(name) - node.requested.get(name):
            reasons.append(f"Insufficient {name}")
    return reasons


def pod_non_zero(pod: PodInfo, resource: str) -> int:
    return pod.non_zero_cpu if resource == CPU else pod.non_zero_memory


def least_allocated(requested: int, allocatable: int) -> int:
    if allocatable <= 0 or requested > allocatable:
        return 0
    return (allocatable - requested) * MAX_NODE_SCORE // allocatable


class NodeResourcesFit(FilterPlugin, ScorePlugin):
    name = "NodeResourcesFit"
    events = frozenset({NODE_ADD, NODE_UPDATE, POD_DELETE})

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        reasons = insufficient_resources(pod, node)
        return unschedulable(*reasons) if reasons else None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        total = weights = 0
        for resource, weight in SCORED_RESOURCES:
            requested = node.non_zero_requested_of(resource) + pod_non_zero(pod, resource)
            total += least_allocated(requested, node.allocatable_of(resource)) * weight
            weights += weight
        return total // weights
