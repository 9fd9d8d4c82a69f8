"""NodeResourcesBalancedAllocation: kube-scheduler's plugins/noderesources/balanced_allocation.go.

Prefer nodes where cpu and memory would be used in equal proportion after
placing the pod, so that no node ends with free CPU but no memory left (or the
reverse). Score = (1 - standard deviation of the used fractions) * 100; for
two resources the standard deviation is |cpu fraction - memory fraction| / 2,
the shortcut kube-scheduler takes too.
"""
from __future__ import annotations

from typing import Sequence

from scheduler.framework import MAX_NODE_SCORE, NODE_ADD, NODE_UPDATE, POD_DELETE, CycleState, ScorePlugin
from scheduler.nodeinfo import NodeInfo
from scheduler.podinfo import PodInfo


def used_fraction(requested: int, allocatable: int) -> float:
    return 1.0 if allocatable <= 0 else min(requested / allocatable, 1.0)


def balance_score(cpu_fraction: float, memory_fraction: float) -> int:
    std = abs(cpu_fraction - memory_fraction) / 2
    return int((1 - std) * MAX_NODE_SCORE)


class BalancedAllocation(ScorePlugin):
    name = "NodeResourcesBalancedAllocation"
    events = frozenset({NODE_ADD, NODE_UPDATE, POD_DELETE})

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[int]:
        cpu, memory = pod.requests.milli_cpu, pod.requests.memory
        return [balance_score(used_fraction(node.requested.milli_cpu + cpu, node.allocatable.milli_cpu),
                              used_fraction(node.requested.memory + memory, node.allocatable.memory))
                for node in nodes]
