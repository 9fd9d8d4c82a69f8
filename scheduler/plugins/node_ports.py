"""NodePorts: kube-scheduler's plugins/nodeports.

Two pods cannot listen on the same hostPort and protocol of one node, unless
they bind different specific host IPs (0.0.0.0 conflicts with every IP).
"""
from __future__ import annotations

from scheduler.framework import (
    NODE_ADD,
    NODE_UPDATE,
    POD_DELETE,
    SKIP,
    CycleState,
    FilterPlugin,
    Snapshot,
    Status,
    unschedulable,
)
from scheduler.nodeinfo import NodeInfo
from scheduler.podinfo import HostPort, PodInfo

REASON = "node(s) didn't have free ports for the requested pod ports"
ANY_IP = "0.0.0.0"


def conflicts(wanted: HostPort, used: HostPort) -> bool:
    return (wanted.port == used.port and wanted.protocol == used.protocol
            and (wanted.host_ip == used.host_ip or ANY_IP in (wanted.host_ip, used.host_ip)))


class NodePorts(FilterPlugin):
    name = "NodePorts"
    events = frozenset({NODE_ADD, NODE_UPDATE, POD_DELETE})

    def pre_filter(self, state: CycleState, pod: PodInfo, snapshot: Snapshot) -> Status | None:
        return None if pod.host_ports else SKIP

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        for wanted in pod.host_ports:
            if any(conflicts(wanted, used) for used in node.used_ports):
                return unschedulable(REASON)
        return None
