"""TaintToleration: kube-scheduler's plugins/tainttoleration.

Filter: a node's NoSchedule and NoExecute taints must each be tolerated by the
pod; the first one that is not gives `node(s) had untolerated taint {key: value}`.
Score: the fewer PreferNoSchedule taints the pod does not tolerate, the better
(normalized in reverse: the node with most intolerable taints scores 0).

This is also how Kubernetes keeps pods off not-ready nodes today: the node
lifecycle controller taints them `node.kubernetes.io/not-ready` or
`node.kubernetes.io/unreachable` (see node_ready.py). The matching rules themselves
(ToleratesTaint, FindMatchingUntoleratedTaint) are minikube_py/api/taints.py, shared
with the DaemonSet controller and the taint-eviction controller.
"""
from __future__ import annotations

from collections.abc import Sequence

from minikube_py.api.taints import NO_EXECUTE, NO_SCHEDULE, PREFER_NO_SCHEDULE, first_untolerated, tolerated_by_any
from scheduler.framework import CycleState, FilterPlugin, ScorePlugin, Snapshot, Status, default_normalize, unresolvable
from scheduler.nodeinfo import NodeInfo
from scheduler.podinfo import PodInfo


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
