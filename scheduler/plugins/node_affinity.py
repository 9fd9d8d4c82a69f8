"""NodeAffinity: kube-scheduler's plugins/nodeaffinity (and component-helpers' nodeaffinity).

Filter: the node's labels must match the pod's `nodeSelector` (every key/value)
and, if given, at least one of the `requiredDuringSchedulingIgnoredDuringExecution`
nodeSelectorTerms (the terms are ORed; a term's matchExpressions and matchFields
are ANDed). Operators In, NotIn, Exists, DoesNotExist, Gt, Lt; matchFields
knows `metadata.name`.
Score: the sum of the weights of the `preferredDuringScheduling...` terms the
node matches, normalized so the best node gets 100.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from minikube_py.api.selectors import Requirement, SelectorError, make_requirement
from scheduler.framework import (SKIP, CycleState, FilterPlugin, ScorePlugin, Snapshot, Status, default_normalize,
                                 unresolvable)
from scheduler.nodeinfo import NodeInfo
from scheduler.podinfo import PodInfo

REASON = "node(s) didn't match Pod's node affinity/selector"
OPERATORS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!", "Gt": "gt", "Lt": "lt"}

NodeMatcher = Callable[[NodeInfo], bool]


def _requirement(expression: Mapping[str, Any]) -> Requirement:
    operator = OPERATORS.get(expression.get("operator", ""))
    if operator is None:
        raise SelectorError(f"{expression.get('operator')!r} is not a valid node selector operator")
    return make_requirement(expression.get("key", ""), operator, expression.get("values") or [])


def compile_term(term: Mapping[str, Any]) -> NodeMatcher:
    """One NodeSelectorTerm as a function of the node. An empty or invalid term matches no node."""
    try:
        labels = [_requirement(e) for e in term.get("matchExpressions") or []]
        fields = [_requirement(e) for e in term.get("matchFields") or []]
    except SelectorError:
        return lambda node: False
    if not labels and not fields:
        return lambda node: False
    return lambda node: (all(r.matches(node.labels) for r in labels)
                         and all(r.matches({"metadata.name": node.name}) for r in fields))


def required_matcher(pod: PodInfo) -> NodeMatcher | None:
    """nodeSelector AND (any required term), or None when the pod constrains nothing."""
    selector = dict(pod.node_selector)
    required = (pod.node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = [compile_term(t) for t in required.get("nodeSelectorTerms") or [] if isinstance(t, dict)]
    has_required = "nodeSelectorTerms" in required
    if not selector and not has_required:
        return None

    def matches(node: NodeInfo) -> bool:
        labels = node.labels
        if any(labels.get(key) != value for key, value in selector.items()):
            return False
        return not has_required or any(term(node) for term in terms)
    return matches


def preferred_terms(pod: PodInfo) -> Sequence[tuple[int, NodeMatcher]]:
    return [(int(p.get("weight") or 0), compile_term(p.get("preference") or {}))
            for p in pod.node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or []
            if isinstance(p, dict)]


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
        terms = preferred_terms(pod)
        if not terms:
            return SKIP
        state[self.name + "/preferred"] = terms
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        return sum(weight for weight, term in state[self.name + "/preferred"] if term(node))

    def normalize_scores(self, state: CycleState, pod: PodInfo, scores: list[int]) -> None:
        default_normalize(scores)
