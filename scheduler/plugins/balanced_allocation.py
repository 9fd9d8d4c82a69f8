"""NodeResourcesBalancedAllocation: kube-scheduler's plugins/noderesources/balanced_allocation.go.

Prefer nodes where cpu and memory would be used in equal proportion after
placing the pod, so that no node ends with free CPU but no memory left (or the
reverse). Score = (1 - standard deviation of the used fractions) * 100.
"""
from __future__ import annotations

import math

from scheduler.framework import MAX_NODE_SCORE, NODE_ADD, NODE_UPDATE, POD_DELETE, CycleState, ScorePlugin
from scheduler.nodeinfo import NodeInfo
from scheduler.podinfo import PodInfo
from scheduler.resources import CPU, MEMORY


def used_fraction(requested: int, allocatable: int) -> float:
    return 1.0 if allocatable <= 0 else min(requested / allocatable, 1.0)


def balance_score(fractions: list[float]) -> int:
    mean = sum(fractions) / len(fractions)
    std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
    return int((1 - std) * MAX_NODE_SCORE)


class BalancedAllocation(ScorePlugin):
    name = "NodeResourcesBalancedAllocation"
    events = frozenset({NODE_ADD, NODE_UPDATE, POD_DELETE})

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        fractions = [used_fraction(node.requested.milli_cpu + pod.requests.milli_cpu, node.allocatable_of(CPU)),
                     used_fraction(node.requested.memory + pod.requests.memory, node.allocatable_of(MEMORY))]
        return balance_score(fractions)
