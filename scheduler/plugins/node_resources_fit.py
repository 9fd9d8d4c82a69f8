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

from typing import Sequence

from scheduler.framework import (MAX_NODE_SCORE, NODE_ADD, NODE_UPDATE, POD_DELETE, CycleState, FilterPlugin,
                                 ScorePlugin, Snapshot, Status, unschedulable)
from scheduler.nodeinfo import NodeInfo
from scheduler.podinfo import PodInfo
from scheduler.resources import CPU, EPHEMERAL_STORAGE, MEMORY


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


def least_allocated(requested: int, allocatable: int) -> int:
    if allocatable <= 0 or requested > allocatable:
        return 0
    return (allocatable - requested) * MAX_NODE_SCORE // allocatable


class NodeResourcesFit(FilterPlugin, ScorePlugin):
    name = "NodeResourcesFit"
    events = frozenset({NODE_ADD, NODE_UPDATE, POD_DELETE})

    def pre_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot) -> Status | None:
        """The pod's requests as plain ints, read once (kube-scheduler's computePodResourceRequest)."""
        request = pod.requests
        state[self.name] = (request.milli_cpu, request.memory, request.ephemeral_storage,
                            any(request.scalar.values()))
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        cpu, memory, storage, has_scalar = state[self.name]
        free, used = node.allocatable, node.requested
        if (len(node.pods) < node.allowed_pods and not has_scalar
                and not (cpu and cpu > free.milli_cpu - used.milli_cpu)
                and not (memory and memory > free.memory - used.memory)
                and not (storage and storage > free.ephemeral_storage - used.ephemeral_storage)):
            return None                     # the common case, in integer compares only
        reasons = insufficient_resources(pod, node)
        return unschedulable(*reasons) if reasons else None

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[int]:
        """LeastAllocated over cpu and memory, weights 1 and 1 (kube-scheduler's defaults)."""
        cpu, memory = pod.non_zero_cpu, pod.non_zero_memory
        return [(least_allocated(node.non_zero_cpu + cpu, node.allocatable.milli_cpu)
                 + least_allocated(node.non_zero_memory + memory, node.allocatable.memory)) // 2
                for node in nodes]
