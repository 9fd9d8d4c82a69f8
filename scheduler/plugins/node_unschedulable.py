"""NodeUnschedulable: kube-scheduler's plugins/nodeunschedulable.

A cordoned node (`spec.unschedulable: true`, what `kubectl cordon` sets) takes
no new pods, unless the pod tolerates the `node.kubernetes.io/unschedulable`
NoSchedule taint (DaemonSet pods do).
"""
from __future__ import annotations

from minikube_py.api.taints import NO_SCHEDULE, UNSCHEDULABLE, tolerated_by_any
from scheduler.framework import CycleState, FilterPlugin, Status, unresolvable
from scheduler.nodeinfo import NodeInfo
from scheduler.podinfo import PodInfo

UNSCHEDULABLE_TAINT = {"key": UNSCHEDULABLE, "effect": NO_SCHEDULE}
REASON = "node(s) were unschedulable"


class NodeUnschedulable(FilterPlugin):
    name = "NodeUnschedulable"
    rejects_only_restricted_nodes = True

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if node.unschedulable and not tolerated_by_any(UNSCHEDULABLE_TAINT, pod.tolerations):
            return unresolvable(REASON)
        return None
