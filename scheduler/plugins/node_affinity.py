"""NodeAffinity: kube-scheduler's plugins/nodeaffinity, on component-helpers' nodeaffinity
(minikube_py/api/nodeaffinity.py, which the DaemonSet controller uses too).

Filter: the node's labels must match the pod's `nodeSelector` (every key/value)
and, if given, at least one of the `requiredDuringSchedulingIgnoredDuringExecution`
nodeSelectorTerms (the terms are ORed; a term's matchExpressions and matchFields
are ANDed). Operators In, NotIn, Exists, DoesNotExist, Gt, Lt; matchFields
knows `metadata.name`.
Score: the sum of the weights of the `preferredDuringScheduling...` terms the
node matches, normalized so the best node gets 100.
"""
from __future__ import annotations

from collections.abc import Sequence

from minikube_py.api.nodeaffinity import NodeMatcher, preferred_terms, required_node_affinity
from scheduler.framework import (
    SKIP,
    CycleState,
    FilterPlugin,
    ScorePlugin,
    Snapshot,
    Status,
    default_normalize,
    unresolvable,
)
from scheduler.nodeinfo import NodeInfo
from scheduler.podinfo import PodInfo

REASON = "node(s) didn't match Pod's node affinity/selector"


def required_matcher(pod: PodInfo) -> NodeMatcher | None:
    """nodeSelector AND (any required term), or None when the pod constrains nothing."""
    return required_node_affinity(pod.node_selector, pod.node_affinity)


class NodeAffinity(FilterPlugin, ScorePlugin):
    name = "NodeAffinity"

    def pre_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot) -> Status | None:
        matcher = required_matcher(pod)
        if matcher is None:
            return SKIP
        state[self.name] = matcher
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        return None if state[self.name](node) else unresolvable(REASON)

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                  snapshot: Snapshot) -> Status | None:
        terms = preferred_terms(pod.node_affinity)
        if not terms:
            return SKIP
        state[self.name + "/preferred"] = terms
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        return sum(weight for weight, term in state[self.name + "/preferred"] if term(node))

    def normalize_scores(self, state: CycleState, pod: PodInfo, scores: list[int]) -> None:
        default_normalize(scores)
