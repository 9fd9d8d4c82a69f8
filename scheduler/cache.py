"""The scheduler cache: kube-scheduler's internal/cache (cache.go).

It holds a NodeInfo per node with the pods on it, fed by the informers (bound
pods, nodes) and by the scheduler itself: as soon as a pod is chosen for a node
it is *assumed* there, so the very next decision already counts its resources,
while the binding is still on its way to the API server.

    assume_pod     chosen, binding not yet sent           (Reserve)
    finish_binding binding sent; expire the assumption after `ttl` if the
                   informer never confirms it
    forget_pod     binding failed: undo the assumption
    add_pod        the informer shows the pod bound: the assumption is confirmed
                   (and moved, if the pod was bound to another node)
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scheduler.framework import Snapshot
from scheduler.nodeinfo import NodeInfo
from scheduler.podinfo import PodInfo
from scheduler.workloads import NO_WORKLOADS, Workloads

log = logging.getLogger("scheduler.cache")

ASSUMED_POD_TTL = 30.0


@dataclass
class _PodState:
    pod: PodInfo
    node: str
    assumed: bool = False
    deadline: float | None = None       # set by finish_binding for assumed pods


class SchedulerCache:
    def __init__(self, ttl: float = ASSUMED_POD_TTL, clock: Callable[[], float] = time.monotonic,
                 workloads: Workloads = NO_WORKLOADS) -> None:
        self.ttl = ttl
        self.workloads = workloads
        self.clock = clock
        self._infos: dict[str, NodeInfo] = {}        # also placeholders for pods on unknown nodes
        self._real_nodes: dict[str, NodeInfo] = {}   # nodes the API knows, in a stable order
        self._pods: dict[str, _PodState] = {}
        self._image_node_counts: dict[str, int] = {}
        self._snapshot: Snapshot | None = None

    # ---- nodes ------------------------------------------------------------------------

    def add_or_update_node(self, node: dict[str, Any]) -> None:
        name = node["metadata"]["name"]
        info = self._infos.get(name)
        if info is None:
            info = self._infos[name] = NodeInfo(node)
        else:
            self._count_images(info, -1)
            info.set_node(node)
        self._count_images(info, +1)
        if name not in self._real_nodes:
            self._real_nodes[name] = info
        self._snapshot = None

    def remove_node(self, name: str) -> None:
        info = self._real_nodes.pop(name, None)
        if info is not None:
            self._count_images(info, -1)
            if not info.pods:
                del self._infos[name]
        self._snapshot = None

    def _count_images(self, info: NodeInfo, sign: int) -> None:
        for image in info.images:
            self._image_node_counts[image] = self._image_node_counts.get(image, 0) + sign

    def node_count(self) -> int:
        return len(self._real_nodes)

    def node(self, name: str) -> NodeInfo | None:
        return self._real_nodes.get(name)

    # ---- pods -------------------------------------------------------------------------

    def is_assumed(self, key: str) -> bool:
        state = self._pods.get(key)
        return state is not None and state.assumed

    def has_pod(self, key: str) -> bool:
        return key in self._pods

    def assume_pod(self, pod: PodInfo, node: str) -> None:
        if pod.key in self._pods:
            raise ValueError(f"pod {pod.key} is already in the cache")
        self._place(_PodState(pod, node, assumed=True))

    def finish_binding(self, key: str) -> None:
        state = self._pods.get(key)
        if state is not None and state.assumed:
            state.deadline = self.clock() + self.ttl

    def forget_pod(self, key: str) -> None:
        state = self._pods.get(key)
        if state is not None and state.assumed:
            self._unplace(state)

    def add_pod(self, pod: PodInfo) -> None:
        """A bound pod seen through the API: confirms an assumption, or is new to us."""
        state = self._pods.get(pod.key)
        if state is not None:
            if state.assumed and state.node != pod.node_name:
                log.warning("pod %s was assumed on %s but is bound to %s", pod.key, state.node, pod.node_name)
            self._unplace(state)
        self._place(_PodState(pod, pod.node_name))

    def update_pod(self, pod: PodInfo) -> None:
        self.add_pod(pod)

    def remove_pod(self, key: str) -> None:
        state = self._pods.get(key)
        if state is not None:
            self._unplace(state)

    def cleanup_expired_assumed_pods(self) -> list[str]:
        now = self.clock()
        expired = [s for s in self._pods.values() if s.assumed and s.deadline is not None and s.deadline < now]
        for state in expired:
            log.warning("assumed pod %s on %s expired before the API confirmed it", state.pod.key, state.node)
            self._unplace(state)
        return [state.pod.key for state in expired]

    def _place(self, state: _PodState) -> None:
        info = self._infos.get(state.node)
        if info is None:
            info = self._infos[state.node] = NodeInfo({"metadata": {"name": state.node}})
        info.add_pod(state.pod)
        self._pods[state.pod.key] = state
        if state.pod.has_affinity:
            self._snapshot = None

    def _unplace(self, state: _PodState) -> None:
        self._pods.pop(state.pod.key, None)
        info = self._infos.get(state.node)
        if info is not None:
            info.remove_pod(state.pod.key)
            if not info.pods and state.node not in self._real_nodes:
                del self._infos[state.node]
        if state.pod.has_affinity:
            self._snapshot = None

    # ---- what a decision reads ----------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The nodes in a stable order (rebuilt only after nodes or affinity pods change).
        NodeInfos are live objects: a decision runs without awaiting, so nothing changes under it."""
        if self._snapshot is None:
            nodes = list(self._real_nodes.values())
            self._snapshot = Snapshot(nodes, self._image_node_counts, workloads=self.workloads)
        return self._snapshot
