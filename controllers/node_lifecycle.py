"""The node lifecycle controller: kube-controller-manager's pkg/controller/nodelifecycle
(monitorNodeHealth, TaintNodesByCondition and the rate-limited NoExecute tainter).

Every --node-monitor-period (5 s) each Node's health is checked. A node is alive
while its agent keeps renewing the Lease `kube-node-lease/<node>` (or posting
its Ready heartbeat). As in Kubernetes, the controller remembers *when it saw*
the renewTime/heartbeat change (its own clock, so clock skew between machines
does not matter); a node not seen alive for --node-monitor-grace-period (40 s):

- gets every condition (Ready, MemoryPressure, DiskPressure, PIDPressure) set to
  Unknown, reason NodeStatusUnknown, "Kubelet stopped posting node status.";
  an Event NodeNotReady is recorded for the node, and its pods are marked not
  Ready (so Services stop sending them traffic);
- is tainted from its conditions:
    Ready=False   -> node.kubernetes.io/not-ready     NoSchedule + NoExecute
    Ready=Unknown -> node.kubernetes.io/unreachable   NoSchedule + NoExecute
    MemoryPressure/DiskPressure/PIDPressure/NetworkUnavailable=True,
    spec.unschedulable -> the matching NoSchedule taint (TaintNodesByCondition).
  NoExecute taints (which evict pods, see taint_eviction.py) are added at most
  --node-eviction-rate nodes per second (0.1: one node every 10 s), a token
  bucket like Kubernetes' per-zone tainter (we have a single zone and no
  "partial disruption" mode).
- A node whose agent is back (fresh Lease, Ready=True posted by the agent) loses
  the taints again. The controller never sets Ready=True itself.

Settings (ctx.config.node_lifecycle, controllers/config.py): node_monitor_grace_period,
node_monitor_period, node_eviction_rate.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from controllers.base import Controller, ControllerContext, Obj, object_key, register, split_key
from minikube_py.api import pods as podutil
from minikube_py.api import times
from minikube_py.api.errors import ApiError
from minikube_py.api.meta import is_being_deleted
from minikube_py.api.taints import (
    DISK_PRESSURE,
    MEMORY_PRESSURE,
    NETWORK_UNAVAILABLE,
    NO_EXECUTE,
    NO_SCHEDULE,
    NOT_READY,
    PID_PRESSURE,
    UNREACHABLE,
    UNSCHEDULABLE,
)
from minikube_py.client.store import NODE_NAME_INDEX
from minikube_py.client.workqueue import BucketRateLimiter

LEASE_NAMESPACE = "kube-node-lease"
UNKNOWN_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
UNKNOWN_REASON, UNKNOWN_MESSAGE = "NodeStatusUnknown", "Kubelet stopped posting node status."
READY_TAINTS = {"False": NOT_READY, "Unknown": UNREACHABLE}
PRESSURE_TAINTS = {"MemoryPressure": MEMORY_PRESSURE, "DiskPressure": DISK_PRESSURE, "PIDPressure": PID_PRESSURE,
                   "NetworkUnavailable": NETWORK_UNAVAILABLE}
MANAGED_KEYS = {UNREACHABLE, NOT_READY, UNSCHEDULABLE, *PRESSURE_TAINTS.values()}


def conditions(node: Obj) -> dict[str, Obj]:
    return {c.get("type"): c for c in (node.get("status") or {}).get("conditions") or []}


def ready_status(node: Obj) -> str:
    return conditions(node).get("Ready", {}).get("status", "Unknown")


def all_unknown(node: Obj) -> bool:
    current = conditions(node)
    return all(current.get(kind, {}).get("status") == "Unknown" for kind in UNKNOWN_CONDITIONS)


def desired_taints(node: Obj) -> set[tuple[str, str]]:
    """(key, effect) of the taints the node's conditions call for."""
    wanted: set[tuple[str, str]] = set()
    key = READY_TAINTS.get(ready_status(node))
    if key:
        wanted |= {(key, NO_SCHEDULE), (key, NO_EXECUTE)}
    for condition, taint in PRESSURE_TAINTS.items():
        if conditions(node).get(condition, {}).get("status") == "True":
            wanted.add((taint, NO_SCHEDULE))
    if (node.get("spec") or {}).get("unschedulable"):
        wanted.add((UNSCHEDULABLE, NO_SCHEDULE))
    return wanted


def merge_taints(current: list[Obj], wanted: set[tuple[str, str]], stamp: str) -> list[Obj]:
    """The node's taints with ours made to be `wanted`; other taints and existing timeAdded kept."""
    kept = [t for t in current if t.get("key") not in MANAGED_KEYS or (t.get("key"), t.get("effect")) in wanted]
    have = {(t.get("key"), t.get("effect")) for t in kept}
    added = [{"key": key, "effect": effect, **({"timeAdded": stamp} if effect == NO_EXECUTE else {})}
             for key, effect in sorted(wanted - have)]
    return kept + added


def unknown_conditions(node: Obj, stamp: str) -> list[Obj]:
    """Every condition Unknown (missing ones added), keeping heartbeats and unchanged transition times."""
    current = conditions(node)
    result = []
    for kind in dict.fromkeys([*UNKNOWN_CONDITIONS, *current]):
        before = current.get(kind, {})
        if kind not in UNKNOWN_CONDITIONS and kind in current:
            result.append(before)
            continue
        changed = before.get("status") != "Unknown"
        result.append({**before, "type": kind, "status": "Unknown", "reason": UNKNOWN_REASON,
                       "message": UNKNOWN_MESSAGE,
                       "lastHeartbeatTime": before.get("lastHeartbeatTime") or stamp,
                       "lastTransitionTime": stamp if changed else before.get("lastTransitionTime", stamp)})
    return result


@dataclass
class Health:
    signature: tuple[Any, ...]        # (lease renewTime, Ready heartbeat) when last changed
    observed: float                   # our monotonic clock when we saw it change


@register
class NodeLifecycleController(Controller):
    name = "nodelifecycle"
    workers_flag = "nodelifecycle"
    default_workers = 1

    def __init__(self, ctx: ControllerContext) -> None:
        config = ctx.config.node_lifecycle
        self.grace, self.period = config.node_monitor_grace_period, config.node_monitor_period
        self.limiter = BucketRateLimiter(qps=config.node_eviction_rate, burst=1)
        self.health: dict[str, Health] = {}
        self.noexecute_due: dict[str, float] = {}     # node -> when it may get its NoExecute taint
        super().__init__(ctx)

    def setup(self) -> None:
        self.nodes = self.informer("nodes")
        self.leases = self.informer("leases", namespace=LEASE_NAMESPACE)
        self.pods = self.informer("pods")
        self.nodes.add_event_handler(self.enqueue, lambda old, new: self.enqueue(new), self.forget_node)
        self.leases.add_event_handler(self.enqueue, lambda old, new: self.enqueue(new))

    def enqueue(self, obj: Obj) -> None:
        self.queue.add(obj["metadata"]["name"])       # a node's Lease has the node's name

    def forget_node(self, node: Obj) -> None:
        self.health.pop(object_key(node), None)
        self.noexecute_due.pop(object_key(node), None)

    async def run(self, workers: int) -> None:
        await asyncio.gather(super().run(workers), self.monitor())

    async def monitor(self) -> None:
        """monitorNodeHealth: look at every node every period, events or not."""
        await self.nodes.wait_for_sync()
        while True:
            for node in self.nodes.list():
                self.queue.add(node["metadata"]["name"])
            await asyncio.sleep(self.period)

    # ---- reconcile --------------------------------------------------------------------------

    async def reconcile(self, key: str) -> None:
        _, name = split_key(key)
        node = self.nodes.get(name)
        if node is None:
            return
        if self.is_stale(node) and not all_unknown(node):
            node = await self.mark_unknown(node)
        await self.update_taints(node)

    def is_stale(self, node: Obj) -> bool:
        name = node["metadata"]["name"]
        lease = self.leases.get(name, LEASE_NAMESPACE)
        signature = ((lease or {}).get("spec", {}).get("renewTime"),
                     conditions(node).get("Ready", {}).get("lastHeartbeatTime"))
        now = time.monotonic()
        health = self.health.get(name)
        if health is None or health.signature != signature:
            self.health[name] = health = Health(signature, now)
        return now - health.observed > self.grace

    async def mark_unknown(self, node: Obj) -> Obj:
        name, stamp = node["metadata"]["name"], times.timestamp()
        was_ready = ready_status(node) == "True"
        body = {**node, "status": {**(node.get("status") or {}), "conditions": unknown_conditions(node, stamp)}}
        updated = await self.api.resource("nodes").update_status(body)     # resourceVersion: CAS
        self.log.info("node %s: no heartbeat for %.0f s; conditions Unknown", name, self.grace)
        if was_ready:
            await self.recorder.normal(node, "NodeNotReady", f"Node {name} status is now: NodeNotReady")
            await self.mark_pods_not_ready(name)
        return updated

    async def mark_pods_not_ready(self, node_name: str) -> None:
        """MarkPodsNotReady: the pods of a silent node are not Ready any more."""
        stamp = times.timestamp()
        for pod in self.pods.by_index(NODE_NAME_INDEX, node_name):
            if not podutil.is_ready(pod) or is_being_deleted(pod):
                continue
            patch = {"status": {"conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": stamp}]}}
            try:
                await self.api.resource("pods", pod["metadata"]["namespace"]).patch_status(
                    pod["metadata"]["name"], patch, patch_type="strategic")
                await self.recorder.warning(pod, "NodeNotReady", "Node is not ready")
            except ApiError as e:
                if e.reason != "NotFound":
                    self.log.info("could not mark pod %s not ready: %s", object_key(pod), e.message)

    async def update_taints(self, node: Obj) -> None:
        name = node["metadata"]["name"]
        wanted = desired_taints(node)
        current = (node.get("spec") or {}).get("taints") or []
        has_noexecute = any(t.get("effect") == NO_EXECUTE and t.get("key") in MANAGED_KEYS for t in current)
        if any(effect == NO_EXECUTE for _, effect in wanted) and not has_noexecute:
            wait = self.noexecute_wait(name)
            if wait > 0:
                wanted = {(k, e) for k, e in wanted if e != NO_EXECUTE}
                self.queue.add_after(name, wait)
        elif not any(effect == NO_EXECUTE for _, effect in wanted):
            self.noexecute_due.pop(name, None)
        taints = merge_taints(current, wanted, times.timestamp())
        if taints == current:
            return
        patch = {"metadata": {"resourceVersion": node["metadata"]["resourceVersion"]}, "spec": {"taints": taints}}
        await self.api.resource("nodes").patch(name, patch)
        self.log.info("node %s: taints now %s", name, [f"{t['key']}:{t['effect']}" for t in taints])

    def noexecute_wait(self, name: str) -> float:
        """Seconds until this node may be NoExecute-tainted (the eviction rate limit)."""
        if name not in self.noexecute_due:
            self.noexecute_due[name] = time.monotonic() + self.limiter.when(name)
        return self.noexecute_due[name] - time.monotonic()
