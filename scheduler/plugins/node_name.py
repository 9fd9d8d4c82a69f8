"""NodeName: kube-scheduler's plugins/nodename.

A pod that names a node in `spec.nodeName` fits only that node. (A pod created
with spec.nodeName is already bound and never reaches the scheduler; the
plugin matters for pods whose nodeName is set some other way, and keeps the
set of filters the same as kube-scheduler's.)
"""
from __future__ import annotations

from scheduler.framework import SKIP, CycleState, FilterPlugin, Snapshot, Status, unresolvable
from scheduler.nodeinfo import NodeInfo
from scheduler.podinfo import PodInfo

REASON = "node(s) didn't match the requested node name"


class NodeName(FilterPlugin):
    name = "NodeName"

    def pre_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot) -> Status | None:
        return None if pod.node_name else SKIP

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        return None if pod.node_name == node.name else unresolvable(REASON)
