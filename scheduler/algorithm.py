"""One scheduling decision: kube-scheduler's schedule_one.go (schedulePod, findNodesThatFitPod,
numFeasibleNodesToFind, prioritizeNodes, selectHost) and FitError (framework/types.go).

1. PreFilter, then Filter the nodes one by one, starting where the previous
   decision stopped (round robin, so every node gets looked at over time) and
   stopping once enough feasible nodes are found: in a big cluster, scoring
   every node buys little and costs a lot (percentageOfNodesToScore).
2. Score the feasible nodes with every score plugin, normalize, weigh, sum.
3. Pick the highest total; ties are broken at random.
A pod nominated to a node (it preempted there, nominator.py) tries that node
first and takes it when it fits (kube-scheduler's evaluateNominatedNode).
No node fits: a FitError whose message counts the reasons, kube-scheduler's form:
`0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {k: v}.`
Everything here is synchronous: on our single event loop a decision sees one
consistent cache, which is what kube-scheduler's per-cycle snapshot buys it.
"""
from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from scheduler.framework import CycleState, FilterPlugin, Framework, Snapshot, Status
from scheduler.nodeinfo import NodeInfo
from scheduler.nominator import Nominator
from scheduler.podinfo import PodInfo

MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5
BASE_PERCENTAGE_OF_NODES_TO_SCORE = 50


def num_feasible_nodes_to_find(num_all_nodes: int, percentage: int = 0) -> int:
    """How many feasible nodes are enough: all of them below 100 nodes; else a percentage
    (adaptive when 0: 50% - nodes/125, at least 5%), and never fewer than 100."""
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND or percentage >= 100:
        return num_all_nodes
    adaptive = percentage
    if adaptive <= 0:
        adaptive = max(BASE_PERCENTAGE_OF_NODES_TO_SCORE - num_all_nodes // 125,
                       MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    return max(num_all_nodes * adaptive // 100, MIN_FEASIBLE_NODES_TO_FIND)


@dataclass
class Decision:
    """Everything about one decision that explain.py may show."""
    total_nodes: int
    node: str | None = None
    evaluated: int = 0
    feasible: list[NodeInfo] = field(default_factory=list)
    rejected: dict[str, Status] = field(default_factory=dict)     # node name -> why not
    scores: dict[str, list[int]] = field(default_factory=dict)   # plugin -> weighted score per feasible node
    totals: list[int] = field(default_factory=list)

    def reason_counts(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for status in self.rejected.values():
            counts.update(status.reasons)
        return counts


class FitError(Exception):
    def __init__(self, pod: PodInfo, decision: Decision, state: CycleState | None = None,
                 filters: list[FilterPlugin] | None = None) -> None:
        self.pod = pod
        self.decision = decision
        self.state: CycleState = state or {}             # what PostFilter (preemption) needs
        self.filters: list[FilterPlugin] = filters or []  # the filters this pod ran (None: PreFilter said no)
        super().__init__(fit_error_message(decision.total_nodes, decision.reason_counts()))

    @property
    def plugins(self) -> set[str]:
        """The plugins that rejected some node: only events they care about requeue the pod."""
        return {status.plugin for status in self.decision.rejected.values()}


def fit_error_message(total_nodes: int, reasons: Counter[str]) -> str:
    """Each reason as "<count> <reason>", sorted as strings (kube-scheduler's SortReasonsHistogram)."""
    if total_nodes == 0:
        return "no nodes available to schedule pods"
    histogram = sorted(f"{count} {reason}" for reason, count in reasons.items())
    return f"0/{total_nodes} nodes are available: {', '.join(histogram)}."


class Algorithm:
    def __init__(self, framework: Framework, percentage_of_nodes_to_score: int = 0,
                 rng: random.Random | None = None, nominator: Nominator | None = None) -> None:
        self.framework = framework
        self.nominator = nominator if nominator is not None else Nominator()
        self.percentage = percentage_of_nodes_to_score
        self.next_start_node_index = 0
        self.rng = rng or random.Random()

    def schedule(self, pod: PodInfo, snapshot: Snapshot) -> Decision:
        """Choose a node for the pod; raise FitError when none fits."""
        decision = Decision(total_nodes=len(snapshot.nodes))
        if not snapshot.nodes:
            raise FitError(pod, decision)
        state: CycleState = {}
        active = self._find_feasible(state, pod, snapshot, decision)
        if not decision.feasible:
            raise FitError(pod, decision, state, active)
        if len(decision.feasible) == 1:
            decision.node = decision.feasible[0].name      # kube-scheduler skips scoring here too
            decision.totals = [0]
            return decision
        decision.scores = self.framework.run_scores(state, pod, decision.feasible, snapshot)
        decision.totals = list(map(sum, zip(*decision.scores.values()))) or [0] * len(decision.feasible)
        decision.node = self._select_host(decision)
        return decision

    def post_filter(self, error: FitError, snapshot: Snapshot) -> Any:
        """PostFilter after a FitError (preemption); None when it cannot help or PreFilter said no."""
        if not error.filters or not self.framework.post_filters:
            return None
        return self.framework.run_post_filters(error.state, error.pod, snapshot, error.decision.rejected,
                                               error.filters, self.nominator)

    def _find_feasible(self, state: CycleState, pod: PodInfo, snapshot: Snapshot,
                       decision: Decision) -> list[FilterPlugin]:
        """Fill decision.feasible/rejected; the filters that ran ([] when PreFilter rejected the pod)."""
        nodes = snapshot.nodes
        active, rejection = self.framework.run_pre_filter(state, pod, snapshot)
        if rejection is not None:
            decision.rejected = {node.name: rejection for node in nodes}
            decision.evaluated = len(nodes)
            return []
        if self._fits_nominated_node(state, active, pod, snapshot, decision):
            return active
        wanted = num_feasible_nodes_to_find(len(nodes), self.percentage)
        count = len(nodes)
        start = self.next_start_node_index % count
        evaluated = 0
        rejected: dict[str, Status] = {}
        while evaluated < count and len(decision.feasible) < wanted:
            # Never more nodes than are still needed, so exactly the nodes a one-by-one
            # search would look at are looked at.
            batch = _round_robin_slice(nodes, start + evaluated, min(wanted - len(decision.feasible),
                                                                     count - evaluated))
            evaluated += len(batch)
            decision.feasible += self.framework.run_filters_with_nominated_pods(active, state, pod, batch, rejected,
                                                                                self.nominator)
        decision.rejected = {node.name: rejected[node.name] for node in
                             _round_robin_slice(nodes, start, evaluated) if node.name in rejected} if rejected else {}
        decision.evaluated = evaluated
        self.next_start_node_index = (start + evaluated) % count
        return active

    def _fits_nominated_node(self, state: CycleState, active: list[FilterPlugin], pod: PodInfo,
                             snapshot: Snapshot, decision: Decision) -> bool:
        """A nominated pod whose node now fits goes there, without looking further."""
        name = self.nominator.node_of(pod.key) or pod.nominated_node_name
        node = snapshot.node(name) if name else None
        if node is None:
            return False
        rejected: dict[str, Status] = {}
        decision.feasible = self.framework.run_filters_with_nominated_pods(active, state, pod, [node], rejected,
                                                                           self.nominator)
        decision.evaluated = 1
        return bool(decision.feasible)

    def _select_host(self, decision: Decision) -> str:
        """The highest total; among equal ones a uniformly random one (kube-scheduler samples a
        reservoir as it goes; picking from the list of ties is the same draw)."""
        best = max(decision.totals)
        ties = [index for index, total in enumerate(decision.totals) if total == best]
        return decision.feasible[ties[0] if len(ties) == 1 else self.rng.choice(ties)].name


def _round_robin_slice(nodes: Sequence[NodeInfo], start: int, length: int) -> list[NodeInfo]:
    """`length` nodes from index `start` on, wrapping around at the end."""
    start %= len(nodes)
    end = start + length
    return list(nodes[start:end]) if end <= len(nodes) else [*nodes[start:], *nodes[:end - len(nodes)]]
