"""TaintToleration: kube-scheduler's plugins/tainttoleration.

Filter: a node's NoSchedule and NoExecute taints must each be tolerated by the
pod; the first one that is not gives `node(s) had untolerated taint {key: value}`.
Score: the fewer PreferNoSchedule taints the pod does not tolerate, the better
(normalized in reverse: the node with most intolerable taints scores 0).

This is also how Kubernetes keeps pods off not-ready nodes today: the node
lifecycle controller taints them `node.kubernetes.io/not-ready` or
`node.kubernetes.io/unreachable` (see node_ready.py).
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from scheduler.framework import (CycleState, FilterPlugin, ScorePlugin, Snapshot, Status, default_normalize,
                                 unresolvable)
from scheduler.nodeinfo import NodeInfo
from scheduler.podinfo import PodInfo

NO_SCHEDULE, NO_EXECUTE, PREFER_NO_SCHEDULE = "NoSchedule", "NoExecute", "PreferNoSchedule"


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """v1.Toleration.ToleratesTaint: effect (empty = any), key (empty with Exists = any), operator."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    return operator == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def tolerated_by_any(taint: Mapping[str, Any], tolerations: Iterable[Mapping[str, Any]]) -> bool:
    return any(tolerates(toleration, taint) for toleration in tolerations)


def first_untolerated(taints: Iterable[Mapping[str, Any]], tolerations: Iterable[Mapping[str, Any]],
                      effects: tuple[str, ...]) -> Mapping[str, Any] | None:
    tolerations = list(tolerations)
    for taint in taints:
        if taint.get("effect") in effects and not tolerated_by_any(taint, tolerations):
            return taint
    return None


class TaintToleration(FilterPlugin, ScorePlugin):
    name = "TaintToleration"
    rejects_only_restricted_nodes = True        # only NoSchedule/NoExecute taints matter to Filter

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if not node.taints:
            return None
        taint = first_untolerated(node.taints, pod.tolerations, (NO_SCHEDULE, NO_EXECUTE))
        if taint is None:
            return None
        return unresolvable(f"node(s) had untolerated taint {{{taint.get('key')}: {taint.get('value') or ''}}}")

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo],
                  snapshot: Snapshot) -> Status | None:
        """The pod's tolerations that can tolerate a PreferNoSchedule taint (kube-scheduler's PreScore)."""
        state[self.name] = [t for t in pod.tolerations if (t.get("effect") or PREFER_NO_SCHEDULE) == PREFER_NO_SCHEDULE]
        return None

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[int]:
        """Per node, how many PreferNoSchedule taints the pod does not tolerate (lower is better)."""
        prefer = state[self.name]
        return [sum(1 for taint in node.taints
                    if taint.get("effect") == PREFER_NO_SCHEDULE and not tolerated_by_any(taint, prefer))
                if node.taints else 0
                for node in nodes]

    def normalize_scores(self, state: CycleState, pod: PodInfo, scores: list[int]) -> None:
        default_normalize(scores, reverse=True)
