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

from collections.abc import Sequence

from scheduler.framework import (
    MAX_NODE_SCORE,
    NODE_ADD,
    NODE_UPDATE,
    POD_DELETE,
    CycleState,
    FilterPlugin,
    ScorePlugin,
    Snapshot,
    Status,
    unschedulable,
)
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


def _rejection(pod: PodInfo, node: NodeInfo) -> Status | None:
    reasons = insufficient_resources(pod, node)
    return unschedulable(*reasons) if reasons else None


def least_allocated(cpu_requested: int, cpu_allocatable: int, memory_requested: int, memory_allocatable: int) -> int:
    """The free fraction of cpu and of memory after placing the pod, 0..100 each (0 when it does
    not fit), averaged with weights 1 and 1 (kube-scheduler's defaults). Flat: it runs per node."""
    cpu = (0 if cpu_allocatable <= 0 or cpu_requested > cpu_allocatable
           else (cpu_allocatable - cpu_requested) * MAX_NODE_SCORE // cpu_allocatable)
    memory = (0 if memory_allocatable <= 0 or memory_requested > memory_allocatable
              else (memory_allocatable - memory_requested) * MAX_NODE_SCORE // memory_allocatable)
    return (cpu + memory) // 2


class NodeResourcesFit(FilterPlugin, ScorePlugin):
    name = "NodeResourcesFit"
    events = frozenset({NODE_ADD, NODE_UPDATE, POD_DELETE})

    def pre_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot) -> Status | None:
        """The pod's requests as plain ints, read once (kube-scheduler's computePodResourceRequest)."""
        request = pod.requests
        state[self.name] = (request.milli_cpu, request.memory, request.ephemeral_storage,
                            any(request.scalar.values()))
        return None

    def filter_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[Status | None]:
        cpu, memory, storage, has_scalar = state[self.name]
        if has_scalar:
            return [_rejection(pod, node) for node in nodes]
        # The common case in integer compares only; the full check (with every reason) on a miss.
        return [None if (len(node.pods) < node.allowed_pods
                         and (not cpu or cpu <= node.allocatable.milli_cpu - node.requested.milli_cpu)
                         and (not memory or memory <= node.allocatable.memory - node.requested.memory)
                         and (not storage
                              or storage <= node.allocatable.ephemeral_storage - node.requested.ephemeral_storage))
                else _rejection(pod, node)
                for node in nodes]

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[int]:
        cpu, memory = pod.non_zero_cpu, pod.non_zero_memory
        return [least_allocated(node.non_zero_cpu + cpu, node.allocatable.milli_cpu,
                                node.non_zero_memory + memory, node.allocatable.memory)
                for node in nodes]
