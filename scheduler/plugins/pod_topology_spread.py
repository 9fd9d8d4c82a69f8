"""PodTopologySpread: kube-scheduler's plugins/podtopologyspread (filtering.go, scoring.go).

A topologySpreadConstraint keeps the pods matching its labelSelector evenly
spread over the values of a node label (the "domains": hostnames, zones):

    skew = (matching pods in this node's domain + 1 if the pod matches itself)
           - (matching pods in the emptiest domain)

Only nodes that pass the pod's nodeSelector/node affinity and carry every
constraint's topologyKey count as domains (kube-scheduler does the same).
Filter (whenUnsatisfiable: DoNotSchedule): skew must be <= maxSkew, else
`node(s) didn't match pod topology spread constraints`; a node without the
topologyKey label gets `... (missing required label)`.
Score (whenUnsatisfiable: ScheduleAnyway): fewer matching pods in the node's
domain is better; each constraint weighs log(domains + 2), and the result is
reversed onto 0..100. (kube-scheduler's system default constraints for pods of
Services and ReplicaSets are not applied here.)
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

from scheduler.framework import (MAX_NODE_SCORE, NODE_ADD, NODE_UPDATE, POD_ADD, POD_DELETE, POD_UPDATE, SKIP,
                                 CycleState, FilterPlugin, ScorePlugin, Snapshot, Status, unresolvable,
                                 unschedulable)
from scheduler.nodeinfo import NodeInfo
from scheduler.plugins.node_affinity import required_matcher
from scheduler.podinfo import PodInfo, SpreadConstraint

DO_NOT_SCHEDULE, SCHEDULE_ANYWAY = "DoNotSchedule", "ScheduleAnyway"
SKEW_REASON = "node(s) didn't match pod topology spread constraints"
MISSING_LABEL_REASON = "node(s) didn't match pod topology spread constraints (missing required label)"


def count_per_domain(pod: PodInfo, constraints: Sequence[SpreadConstraint],
                     nodes: Sequence[NodeInfo]) -> list[Counter[str]]:
    """For each constraint, matching pods per topology value, over the nodes that may host the pod
    (domains with no matching pod are present with 0)."""
    node_filter = required_matcher(pod)
    counts: list[Counter[str]] = [Counter() for _ in constraints]
    for node in nodes:
        if any(c.topology_key not in node.labels for c in constraints):
            continue
        if node_filter is not None and not node_filter(node):
            continue
        for constraint, counter in zip(constraints, counts):
            value = node.labels[constraint.topology_key]
            counter[value] += sum(1 for other in node.pods.values()
                                  if other.namespace == pod.namespace and not other.deleting
                                  and constraint.selector.matches(other.labels))
    return counts


class PodTopologySpread(FilterPlugin, ScorePlugin):
    name = "PodTopologySpread"
    events = frozenset({POD_ADD, POD_UPDATE, POD_DELETE, NODE_ADD, NODE_UPDATE})

    @staticmethod
    def _constraints(pod: PodInfo, kind: str) -> list[SpreadConstraint]:
        return [c for c in pod.spread_constraints if c.when_unsatisfiable == kind]

    # ---- filter -----------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot) -> Status | None:
        constraints = self._constraints(pod, DO_NOT_SCHEDULE)
        if not constraints:
            return SKIP
        counts = count_per_domain(pod, constraints, snapshot.nodes)
        minimums = [min(counter.values(), default=0) for counter in counts]
        state[self.name] = (constraints, counts, minimums)
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        constraints, counts, minimums = state[self.name]
        for constraint, counter, minimum in zip(constraints, counts, minimums):
            value = node.labels.get(constraint.topology_key)
            if value is None:
                return unresolvable(MISSING_LABEL_REASON)
            self_match = 1 if constraint.selector.matches(pod.labels) else 0
            if counter.get(value, 0) + self_match - minimum > constraint.max_skew:
                return unschedulable(SKEW_REASON)
        return None

    # ---- score ------------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                  snapshot: Snapshot) -> Status | None:
        constraints = self._constraints(pod, SCHEDULE_ANYWAY)
        if not constraints:
            return SKIP
        counts = count_per_domain(pod, constraints, snapshot.nodes)
        weights = [math.log(len(counter) + 2) for counter in counts]
        state[self.name + "/score"] = (constraints, counts, weights)
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        constraints, counts, weights = state[self.name + "/score"]
        total = 0.0
        for constraint, counter, weight in zip(constraints, counts, weights):
            value = node.labels.get(constraint.topology_key)
            if value is None:
                return -1                       # ignored node: scores 0 after normalizing
            total += counter.get(value, 0) * weight + (constraint.max_skew - 1)
        return round(total)

    def normalize_scores(self, state: CycleState, pod: PodInfo, scores: list[int]) -> None:
        counted = [s for s in scores if s >= 0]
        low, high = min(counted, default=0), max(counted, default=0)
        for i, score in enumerate(scores):
            if score < 0:
                scores[i] = 0
            elif high == 0:
                scores[i] = MAX_NODE_SCORE
            else:
                scores[i] = MAX_NODE_SCORE * (high + low - score) // high
