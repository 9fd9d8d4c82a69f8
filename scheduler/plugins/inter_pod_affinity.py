"""InterPodAffinity: kube-scheduler's plugins/interpodaffinity (filtering.go, scoring.go).

Pod (anti-)affinity is about *topology domains*: a term says "pods matching
this selector, in the same <topologyKey> value as me" (same node for
kubernetes.io/hostname, same zone for topology.kubernetes.io/zone).

PreFilter counts, per (topologyKey, value), the existing pods that matter:
  - existing pods whose required anti-affinity matches the incoming pod,
  - pods matching each of the incoming pod's required affinity terms,
  - pods matching each of the incoming pod's required anti-affinity terms.
Filter then only looks up the node's label values, in kube-scheduler's order:
  - `node(s) didn't match pod affinity rules` (every term needs a matching pod in
    the node's domain; except the very first pod of a group that matches its own
    terms when no pod anywhere matches: otherwise it could never start)
  - `node(s) didn't match pod anti-affinity rules`
  - `node(s) didn't satisfy existing pods anti-affinity rules`
Score: preferred terms of the incoming pod (+weight affinity, -weight anti) and
of existing pods towards the incoming pod, summed per domain, then scaled
min..max to 0..100.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

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
from scheduler.podinfo import AffinityTerm, PodInfo

EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
AFFINITY = "node(s) didn't match pod affinity rules"
ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
HARD_POD_AFFINITY_WEIGHT = 1      # how much an existing pod's *required* affinity counts when scoring

Domain = tuple[str, str]          # (topologyKey, value)


def _domain(term: AffinityTerm, node: NodeInfo) -> Domain | None:
    value = node.labels.get(term.topology_key)
    return None if value is None else (term.topology_key, value)


def _all_pods(nodes: Iterable[NodeInfo]) -> Iterable[tuple[NodeInfo, PodInfo]]:
    return ((node, pod) for node in nodes for pod in node.pods.values())


class _FilterState:
    def __init__(self, pod: PodInfo, snapshot: Snapshot) -> None:
        self.existing_anti: Counter[Domain] = Counter()
        for node in snapshot.with_required_anti_affinity:
            for existing in node.pods_with_required_anti_affinity.values():
                for term in existing.required_anti_affinity:
                    domain = _domain(term, node)
                    if domain and term.matches(pod):
                        self.existing_anti[domain] += 1
        self.affinity: list[Counter[Domain]] = [Counter() for _ in pod.required_affinity]
        self.anti_affinity: list[Counter[Domain]] = [Counter() for _ in pod.required_anti_affinity]
        if pod.required_affinity or pod.required_anti_affinity:
            self._count_incoming_terms(pod, snapshot)

    def _count_incoming_terms(self, pod: PodInfo, snapshot: Snapshot) -> None:
        for node, existing in _all_pods(snapshot.nodes):
            for terms, counters in ((pod.required_affinity, self.affinity),
                                    (pod.required_anti_affinity, self.anti_affinity)):
                for term, counter in zip(terms, counters):
                    domain = _domain(term, node)
                    if domain and term.matches(existing):
                        counter[domain] += 1


class InterPodAffinity(FilterPlugin, ScorePlugin):
    name = "InterPodAffinity"
    events = frozenset({POD_ADD, POD_UPDATE, POD_DELETE, NODE_ADD, NODE_UPDATE})

    # ---- filter -----------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot) -> Status | None:
        if not (pod.required_affinity or pod.required_anti_affinity or snapshot.with_required_anti_affinity):
            return SKIP
        state[self.name] = _FilterState(pod, snapshot)
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        counts: _FilterState = state[self.name]
        if not self._affinity_satisfied(counts, pod, node):
            return unresolvable(AFFINITY)
        for term, counter in zip(pod.required_anti_affinity, counts.anti_affinity):
            domain = _domain(term, node)
            if domain and counter.get(domain):
                return unschedulable(ANTI_AFFINITY)
        if any(counts.existing_anti.get((key, value)) for key, value in node.labels.items()):
            return unschedulable(EXISTING_ANTI_AFFINITY)
        return None

    @staticmethod
    def _affinity_satisfied(counts: _FilterState, pod: PodInfo, node: NodeInfo) -> bool:
        domains: list[Domain] = []
        for term in pod.required_affinity:
            domain = _domain(term, node)
            if domain is None:
                return False                # the node lacks a topology key the pod requires
            domains.append(domain)
        if all(counter.get(domain) for counter, domain in zip(counts.affinity, domains)):
            return True
        nobody_matches = not any(counts.affinity)
        return nobody_matches and all(term.matches(pod) for term in pod.required_affinity)

    # ---- score ------------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                  snapshot: Snapshot) -> Status | None:
        incoming_preferences = pod.preferred_affinity or pod.preferred_anti_affinity
        if not incoming_preferences and not snapshot.with_affinity:
            return SKIP
        scores: Counter[Domain] = Counter()
        for node, existing in _all_pods(snapshot.nodes if incoming_preferences else snapshot.with_affinity):
            self._score_pair(scores, pod, existing, node)
        if not scores:
            return SKIP
        state[self.name + "/score"] = scores
        return None

    @staticmethod
    def _score_pair(scores: Counter[Domain], pod: PodInfo, existing: PodInfo, node: NodeInfo) -> None:
        weighted = [(term, term.weight, existing) for term in pod.preferred_affinity]
        weighted += [(term, -term.weight, existing) for term in pod.preferred_anti_affinity]
        weighted += [(term, term.weight, pod) for term in existing.preferred_affinity]
        weighted += [(term, -term.weight, pod) for term in existing.preferred_anti_affinity]
        weighted += [(term, HARD_POD_AFFINITY_WEIGHT, pod) for term in existing.required_affinity]
        for term, weight, target in weighted:
            domain = _domain(term, node)
            if domain and term.matches(target):
                scores[domain] += weight

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        scores: Counter[Domain] = state[self.name + "/score"]
        return sum(scores.get((key, value), 0) for key, value in node.labels.items())

    def normalize_scores(self, state: CycleState, pod: PodInfo, scores: list[int]) -> None:
        low, high = min(scores, default=0), max(scores, default=0)
        for i, score in enumerate(scores):
            scores[i] = MAX_NODE_SCORE * (score - low) // (high - low) if high > low else 0
