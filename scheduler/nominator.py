"""Nominated pods: kube-scheduler's PodNominator (internal/queue/scheduling_queue.go, nominator).

A pod that preempted others is *nominated* to the node where it evicted them
(status.nominatedNodeName) and waits there until its victims are gone. The
space they free is kept for it: while filtering a node for any pod, the pods
nominated to that node with at least that pod's priority are counted as if
they were already running there (framework.run_filters_with_nominated_pods),
so a lower-priority pod cannot take the freed space first, while a higher one
still can (and the nominated pod then preempts again or goes elsewhere).

Fed by the scheduler: a preemption nominates; the informer's pending pods with
status.nominatedNodeName re-nominate after a restart; a bound or deleted pod,
or one whose nomination was cleared, is removed.
"""
from __future__ import annotations

from scheduler.podinfo import PodInfo


class Nominator:
    def __init__(self) -> None:
        self._node_of: dict[str, str] = {}                    # pod key -> node
        self._on_node: dict[str, dict[str, PodInfo]] = {}     # node -> pod key -> pod

    def __bool__(self) -> bool:
        return bool(self._node_of)

    def add(self, pod: PodInfo, node: str) -> None:
        self.delete(pod.key)
        self._node_of[pod.key] = node
        self._on_node.setdefault(node, {})[pod.key] = pod

    def delete(self, key: str) -> None:
        node = self._node_of.pop(key, None)
        if node is not None:
            pods = self._on_node[node]
            pods.pop(key, None)
            if not pods:
                del self._on_node[node]

    def node_of(self, key: str) -> str | None:
        return self._node_of.get(key)

    def pods_on(self, node: str) -> list[PodInfo]:
        return list(self._on_node.get(node, {}).values())

    def nominated_for(self, pod: PodInfo, node: str) -> list[PodInfo]:
        """The other pods nominated to `node` that `pod` must leave room for: priority >= its own."""
        return [other for other in self._on_node.get(node, {}).values()
                if other.key != pod.key and other.priority >= pod.priority]
