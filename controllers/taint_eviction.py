"""NoExecute taint eviction: kube-controller-manager's pkg/controller/tainteviction (the
"taint manager", a controller of its own since Kubernetes 1.29), plus the part of
pkg/controller/podgc that finishes evictions from unreachable nodes.

A pod on a node with NoExecute taints (added by node_lifecycle.py, or by hand):

- does not tolerate one of them            -> evicted now;
- tolerates all, some with tolerationSeconds -> evicted that many seconds after
  the taint's timeAdded (the smallest applicable tolerationSeconds wins);
- tolerates all without tolerationSeconds   -> stays.

Each pod honours its own tolerations. The API server gives every pod that does
not say otherwise `not-ready` and `unreachable` tolerations of 300 s
(DefaultTolerationSeconds), so by default pods leave a dead node after 5 min.
Eviction is a normal (graceful) delete, with Event TaintManagerEviction.

An unreachable node's agent cannot confirm the deletion, so the pod would stay
Terminating forever (in Kubernetes until the node comes back or is deleted, or
an operator adds the out-of-service taint). For the lab we do what PodGC does
for out-of-service nodes: a terminating pod on a node tainted unreachable is
force-deleted (grace 0) once its own grace period is over. Its controller has
already replaced it: a terminating pod no longer counts toward replicas.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from controllers.base import Controller, Obj, register, split_key
from minikube_py.api import pods as podutil
from minikube_py.api import times
from minikube_py.api.errors import ApiError
from minikube_py.api.meta import is_being_deleted
from minikube_py.api.taints import (
    NO_EXECUTE,
    UNREACHABLE,
    Taint,
    Toleration,
    first_untolerated,
    node_taints,
    pod_tolerations,
    tolerates,
)
from minikube_py.client.store import NODE_NAME_INDEX

NEVER = float("inf")


def noexecute_taints(node: Obj | None) -> list[Taint]:
    return [t for t in node_taints(node) if t.get("effect") == NO_EXECUTE]


def tolerations(pod: Obj) -> list[Toleration]:
    return pod_tolerations(pod.get("spec") or {})


def eviction_time(pod: Obj, taints: Sequence[Taint]) -> float:
    """When (epoch seconds) the pod must leave; NEVER if it tolerates the taints for good;
    0 if it does not tolerate one of them."""
    if first_untolerated(taints, tolerations(pod), (NO_EXECUTE,)) is not None:
        return 0.0
    due = NEVER
    for taint in taints:
        seconds: list[Any] = [t.get("tolerationSeconds") for t in tolerations(pod) if tolerates(t, taint)]
        if any(s is None for s in seconds):
            continue                        # one toleration without a limit: tolerated forever
        added = times.parse_time(taint.get("timeAdded")) or times.now()
        due = min(due, added.timestamp() + max(min(int(s) for s in seconds), 0))
    return due


def grace_over(pod: Obj, at: datetime) -> bool:
    deadline = times.parse_time((pod.get("metadata") or {}).get("deletionTimestamp"))
    return deadline is not None and deadline <= at


@register
class TaintEvictionController(Controller):
    name = "tainteviction"
    workers_flag = "tainteviction"
    default_workers = 5

    def setup(self) -> None:
        self.nodes = self.informer("nodes")
        self.pods = self.informer("pods")
        self.pods.add_event_handler(self.on_pod, lambda old, new: self.on_pod(new))
        self.nodes.add_event_handler(self.on_node, self.on_node_update)

    def on_pod(self, pod: Obj) -> None:
        if podutil.node_name(pod):
            self.enqueue(pod)

    def on_node(self, node: Obj) -> None:
        if noexecute_taints(node):
            for pod in self.pods.by_index(NODE_NAME_INDEX, node["metadata"]["name"]):
                self.enqueue(pod)

    def on_node_update(self, old: Obj, new: Obj) -> None:
        if noexecute_taints(old) != noexecute_taints(new):
            self.on_node(new)

    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        pod = self.pods.get(name, namespace)
        if pod is None or podutil.is_terminal(pod):
            return
        node = self.nodes.get(podutil.node_name(pod))
        taints = noexecute_taints(node)
        if not taints:
            return
        now = times.now()
        if is_being_deleted(pod):
            await self.finish_on_unreachable(pod, taints, now)
            return
        due = eviction_time(pod, taints)
        if due == NEVER:
            return
        if due > now.timestamp():
            self.enqueue_after(key, due - now.timestamp() + 0.05)
            return
        await self.evict(pod)

    async def evict(self, pod: Obj) -> None:
        meta = pod["metadata"]
        try:
            await self.api.resource("pods", meta["namespace"]).delete(meta["name"], preconditions={"uid": meta["uid"]})
        except ApiError as e:
            if e.reason in ("NotFound", "Conflict"):
                return
            raise
        self.log.info("evicted pod %s/%s from node %s", meta["namespace"], meta["name"], podutil.node_name(pod))
        await self.recorder.normal(pod, "TaintManagerEviction", f"Marking for deletion Pod {meta['namespace']}/"
                                                                 f"{meta['name']}")

    async def finish_on_unreachable(self, pod: Obj, taints: Sequence[Taint], now: datetime) -> None:
        """PodGC: nobody on an unreachable node will confirm this deletion; do it after the grace."""
        if not any(t.get("key") == UNREACHABLE for t in taints):
            return
        if not grace_over(pod, now):
            deadline: Any = times.parse_time(pod["metadata"]["deletionTimestamp"])
            self.enqueue_after(pod, deadline.timestamp() - now.timestamp() + 0.05)
            return
        meta = pod["metadata"]
        try:
            await self.api.resource("pods", meta["namespace"]).delete(
                meta["name"], grace_period_seconds=0, preconditions={"uid": meta["uid"]})
        except ApiError as e:
            if e.reason not in ("NotFound", "Conflict"):
                raise
            return
        self.log.info("force-deleted pod %s/%s on unreachable node %s", meta["namespace"], meta["name"],
                      podutil.node_name(pod))
