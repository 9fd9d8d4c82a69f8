"""NodeReady: how a node whose Ready condition is not True is kept out.

What Kubernetes does today (since TaintNodesByCondition went GA in 1.17): the
node lifecycle controller taints such a node `node.kubernetes.io/not-ready`
(Ready=False) or `node.kubernetes.io/unreachable` (Ready=Unknown), NoSchedule
and NoExecute, and the scheduler's TaintToleration filter does the rest; pods
that tolerate the taint (DaemonSets) can still land there.

Before that, kube-scheduler itself checked the condition (the
CheckNodeCondition predicate, and before it the node lister's
getNodeConditionPredicate), failing with `node(s) were not ready`.

We do both, so the behaviour is right whether or not a node lifecycle
controller runs: a node that carries one of those taints is left to
TaintToleration; a node whose Ready condition exists and is not True *without*
such a taint is rejected here, like the legacy check. A node that reports no
Ready condition at all passes (the legacy check did the same).
"""
from __future__ import annotations

from minikube_py.api.taints import NOT_READY, UNREACHABLE
from scheduler.framework import CycleState, FilterPlugin, Status, unresolvable
from scheduler.nodeinfo import NodeInfo
from scheduler.podinfo import PodInfo

CONDITION_TAINTS = (NOT_READY, UNREACHABLE)
REASON = "node(s) were not ready"


class NodeReady(FilterPlugin):
    name = "NodeReady"
    rejects_only_restricted_nodes = True

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if node.ready is None or node.ready == "True":
            return None
        if any(taint.get("key") in CONDITION_TAINTS for taint in node.taints):
            return None        # TaintToleration decides, as in Kubernetes
        return unresolvable(REASON)
