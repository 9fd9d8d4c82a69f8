"""NodeResourcesBalancedAllocation: kube-scheduler's plugins/noderesources/balanced_allocation.go.

Prefer nodes where cpu and memory would be used in equal proportion after
placing the pod, so that no node ends with free CPU but no memory left (or the
reverse). Score = (1 - standard deviation of the used fractions) * 100; for
two resources the standard deviation is |cpu fraction - memory fraction| / 2,
the shortcut kube-scheduler takes too.
"""
from __future__ import annotations

from collections.abc import Sequence

from scheduler.framework import MAX_NODE_SCORE, NODE_ADD, NODE_UPDATE, POD_DELETE, CycleState, ScorePlugin
from scheduler.nodeinfo import NodeInfo
from scheduler.podinfo import PodInfo


def balance_score(cpu_requested: int, cpu_allocatable: int, memory_requested: int, memory_allocatable: int) -> int:
    """The used fraction of each resource (at most 1; 1 when nothing is allocatable), then
    (1 - their standard deviation) * 100. Written out flat: it runs for every node of every pod."""
    cpu = cpu_requested / cpu_allocatable if cpu_allocatable > 0 else 1.0
    memory = memory_requested / memory_allocatable if memory_allocatable > 0 else 1.0
    if cpu > 1.0:
        cpu = 1.0
    if memory > 1.0:
        memory = 1.0
    return int((1 - abs(cpu - memory) / 2) * MAX_NODE_SCORE)


class BalancedAllocation(ScorePlugin):
    name = "NodeResourcesBalancedAllocation"
    events = frozenset({NODE_ADD, NODE_UPDATE, POD_DELETE})

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[int]:
        cpu, memory = pod.requests.milli_cpu, pod.requests.memory
        return [balance_score(node.requested.milli_cpu + cpu, node.allocatable.milli_cpu,
                              node.requested.memory + memory, node.allocatable.memory)
                for node in nodes]
