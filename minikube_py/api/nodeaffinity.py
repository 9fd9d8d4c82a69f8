"""Which nodes a pod may run on: k8s.io/component-helpers/scheduling/corev1/nodeaffinity
(NodeSelector, RequiredNodeAffinity, PreferredSchedulingTerms).

- spec.nodeSelector: the node must carry every key=value;
- spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution: at least one
  of its nodeSelectorTerms must match (terms are ORed; within a term matchExpressions on
  the node's labels and matchFields on `metadata.name` are ANDed). Operators In, NotIn,
  Exists, DoesNotExist, Gt, Lt. An empty or invalid term matches no node;
- ...preferredDuringSchedulingIgnoredDuringExecution: weighted terms, a score only.

The scheduler's NodeAffinity plugin filters and scores with these, and the DaemonSet
controller decides with the same functions where its pods belong. A node is anything with
`labels` and `name` (the scheduler's NodeInfo; `NodeLabels.of(node)` for a Node object).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from minikube_py.api.selectors import Requirement, SelectorError, make_requirement

OPERATORS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!", "Gt": "gt", "Lt": "lt"}


class Node(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def labels(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class NodeLabels:
    """The parts of a Node object that node affinity reads."""
    name: str
    labels: Mapping[str, str]

    @classmethod
    def of(cls, node: Mapping[str, Any]) -> NodeLabels:
        meta = node.get("metadata") or {}
        return cls(meta.get("name") or "", meta.get("labels") or {})


NodeMatcher = Callable[[Node], bool]


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


def required_node_affinity(node_selector: Mapping[str, str] | None,
                           node_affinity: Mapping[str, Any] | None) -> NodeMatcher | None:
    """GetRequiredNodeAffinity(pod).Match: nodeSelector AND (any required term); None when the
    pod constrains nothing (every node matches)."""
    selector = dict(node_selector or {})
    required = (node_affinity or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    terms = [compile_term(t) for t in required.get("nodeSelectorTerms") or [] if isinstance(t, dict)]
    has_required = "nodeSelectorTerms" in required
    if not selector and not has_required:
        return None

    def matches(node: Node) -> bool:
        labels = node.labels
        if any(labels.get(key) != value for key, value in selector.items()):
            return False
        return not has_required or any(term(node) for term in terms)
    return matches


def pod_matches_node(pod_spec: Mapping[str, Any], node: Node) -> bool:
    """Whether the node satisfies the pod spec's nodeSelector and required node affinity."""
    matcher = required_node_affinity(pod_spec.get("nodeSelector"),
                                     (pod_spec.get("affinity") or {}).get("nodeAffinity"))
    return matcher is None or matcher(node)


def preferred_terms(node_affinity: Mapping[str, Any] | None) -> Sequence[tuple[int, NodeMatcher]]:
    """The weighted preferred terms (PreferredSchedulingTerms), each compiled."""
    return [(int(p.get("weight") or 0), compile_term(p.get("preference") or {}))
            for p in (node_affinity or {}).get("preferredDuringSchedulingIgnoredDuringExecution") or []
            if isinstance(p, dict)]
