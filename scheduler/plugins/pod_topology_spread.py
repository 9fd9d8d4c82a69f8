"""PodTopologySpread: kube-scheduler's plugins/podtopologyspread (filtering.go, scoring.go, plugin.go).

A topologySpreadConstraint keeps the pods matching its labelSelector evenly
spread over the values of a node label (the "domains": hostnames, zones):

    skew = (matching pods in this node's domain + 1 if the pod matches itself)
           - (matching pods in the emptiest domain)

Only nodes that pass the pod's nodeSelector/node affinity and carry every
constraint's topologyKey count as domains (kube-scheduler does the same).
Filter (whenUnsatisfiable: DoNotSchedule): skew must be <= maxSkew, else
`node(s) didn't match pod topology spread constraints`; a node without the
topologyKey label gets `... (missing required label)`.
Score (whenUnsatisfiable: ScheduleAnyway), as scoring.go: the domains are the
topology values of the nodes being scored; each node gets, per constraint,
(matching pods in its domain) * log(domains + 2) + (maxSkew - 1), and the
sums are reversed onto 0..100 (fewer matching pods is better). Hostname
domains are counted on the node itself; other domains over every node that
passes the pod's node affinity.

Default constraints (plugin args `defaultingType`, kube-scheduler's
PodTopologySpreadArgs): a pod with no topologySpreadConstraints at all gets
the default ones, selecting the pods of its workload (scheduler/workloads.py:
its Services and its ReplicaSet); a pod of no workload gets none.
  - `System` (the default): kubernetes.io/hostname maxSkew 3 and
    topology.kubernetes.io/zone maxSkew 5, both ScheduleAnyway. As in
    kube-scheduler, a node lacking one of these labels is *not* ignored when
    scoring: the missing constraint just adds nothing for it (explicit
    constraints ignore such a node: it scores 0).
  - `List`: the constraints in `defaultConstraints` (no labelSelector; the
    workload's selector is used), which may also be DoNotSchedule.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from minikube_py.api.selectors import LabelSelector
from scheduler.framework import (
    MAX_NODE_SCORE,
    NODE_ADD,
    NODE_UPDATE,
    POD_ADD,
    POD_DELETE,
    POD_UPDATE,
    SKIP,
    CycleState,
    FilterPlugin,
    ScorePlugin,
    Snapshot,
    Status,
    unresolvable,
    unschedulable,
)
from scheduler.nodeinfo import NodeInfo
from scheduler.plugins.node_affinity import required_matcher
from scheduler.podinfo import PodInfo, SpreadConstraint

DO_NOT_SCHEDULE, SCHEDULE_ANYWAY = "DoNotSchedule", "ScheduleAnyway"
SYSTEM_DEFAULTING, LIST_DEFAULTING = "System", "List"
HOSTNAME_KEY, ZONE_KEY = "kubernetes.io/hostname", "topology.kubernetes.io/zone"
SKEW_REASON = "node(s) didn't match pod topology spread constraints"
MISSING_LABEL_REASON = "node(s) didn't match pod topology spread constraints (missing required label)"
# (maxSkew, topologyKey, whenUnsatisfiable) of kube-scheduler's systemDefaultConstraints
SYSTEM_DEFAULT_CONSTRAINTS = ((3, HOSTNAME_KEY, SCHEDULE_ANYWAY), (5, ZONE_KEY, SCHEDULE_ANYWAY))


def matching_pods(node: NodeInfo, selector: LabelSelector, namespace: str) -> int:
    """kube-scheduler's countPodsMatchSelector: same namespace, not terminating, labels match."""
    return sum(1 for other in node.pods.values()
               if other.namespace == namespace and not other.deleting and selector.matches(other.labels))


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
            counter[node.labels[constraint.topology_key]] += matching_pods(node, constraint.selector, pod.namespace)
    return counts


def _default_constraints(args: dict[str, Any]) -> tuple[tuple[int, str, str], ...]:
    if (args.get("defaultingType") or SYSTEM_DEFAULTING) == SYSTEM_DEFAULTING:
        return SYSTEM_DEFAULT_CONSTRAINTS
    return tuple((int(c.get("maxSkew") or 1), c.get("topologyKey") or "", c.get("whenUnsatisfiable") or DO_NOT_SCHEDULE)
                 for c in args.get("defaultConstraints") or [] if isinstance(c, dict))


class PodTopologySpread(FilterPlugin, ScorePlugin):
    name = "PodTopologySpread"
    events = frozenset({POD_ADD, POD_UPDATE, POD_DELETE, NODE_ADD, NODE_UPDATE})

    def __init__(self, args: dict[str, Any] | None = None) -> None:
        super().__init__(args)
        self.system_defaulted = (self.args.get("defaultingType") or SYSTEM_DEFAULTING) == SYSTEM_DEFAULTING
        self.default_constraints = _default_constraints(self.args)

    def _constraints(self, pod: PodInfo, kind: str, snapshot: Snapshot) -> list[SpreadConstraint]:
        """The pod's own constraints of this kind; for a pod with none at all, the defaults of this kind
        with its workload's selector (kube-scheduler's buildDefaultConstraints)."""
        if pod.spread_constraints:
            return [c for c in pod.spread_constraints if c.when_unsatisfiable == kind]
        defaults = [(skew, key) for skew, key, when in self.default_constraints if when == kind]
        if not defaults:
            return []
        selector = snapshot.workloads.default_selector(pod)
        if selector.empty:
            return []
        return [SpreadConstraint(skew, key, kind, selector) for skew, key in defaults]

    # ---- filter -----------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot) -> Status | None:
        constraints = self._constraints(pod, DO_NOT_SCHEDULE, snapshot)
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
        constraints = self._constraints(pod, SCHEDULE_ANYWAY, snapshot)
        if not constraints:
            return SKIP
        # Only explicit constraints (or List defaults) make a node without every topologyKey ignored.
        require_all = bool(pod.spread_constraints) or not self.system_defaulted
        keys = [c.topology_key for c in constraints]
        ignored = ({node.name for node in nodes if any(key not in node.labels for key in keys)}
                   if require_all else set())
        # The domains are the topology values of the nodes being scored; a node lacking the label
        # (possible only for system defaults) makes the "" domain, as in kube-scheduler: it counts in the
        # weight but never in a score. Hostname domains are counted per node in score().
        domains: list[dict[str, int] | None] = []
        for key in keys:
            domains.append(None if key == HOSTNAME_KEY else
                           {node.labels.get(key, ""): 0 for node in nodes if node.name not in ignored})
        sizes = [len(nodes) - len(ignored) if domain is None else len(domain) for domain in domains]
        self._count_domains(pod, constraints, domains, snapshot.nodes, require_all)
        weights = [math.log(size + 2) for size in sizes]
        state[self.name + "/score"] = (constraints, domains, weights, ignored)
        return None

    @staticmethod
    def _count_domains(pod: PodInfo, constraints: Sequence[SpreadConstraint],
                       domains: Sequence[dict[str, int] | None], all_nodes: Sequence[NodeInfo],
                       require_all: bool) -> None:
        """Matching pods per (non-hostname) domain, over every node that may host the pod."""
        wanted = [(c, d) for c, d in zip(constraints, domains) if d is not None and set(d) - {""}]
        if not wanted:
            return                               # e.g. system defaults on a cluster without zones
        keys = [c.topology_key for c in constraints]
        node_filter = required_matcher(pod)
        for node in all_nodes:
            if require_all and any(key not in node.labels for key in keys):
                continue
            if node_filter is not None and not node_filter(node):
                continue
            for constraint, domain in wanted:
                value = node.labels.get(constraint.topology_key)
                if value in domain:
                    domain[value] += matching_pods(node, constraint.selector, pod.namespace)

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        constraints, domains, weights, ignored = state[self.name + "/score"]
        if node.name in ignored:
            return -1                            # scores 0 after normalizing
        total = 0.0
        for constraint, domain, weight in zip(constraints, domains, weights):
            value = node.labels.get(constraint.topology_key)
            if value is None:
                continue
            count = matching_pods(node, constraint.selector, pod.namespace) if domain is None else domain[value]
            total += count * weight + (constraint.max_skew - 1)
        return math.floor(total + 0.5)           # Go's math.Round: halves away from zero

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
