"""The Node object: kubelet's registerWithAPIServer and node status (kubelet_node_status.go).

At start the agent creates its Node (or adopts an existing one of the same
name). Every node_status_update_frequency (10 s) it recomputes the status —
capacity, allocatable, conditions, addresses, node info, the agent's port —
and sends it only when it differs from the Node on the server or node_status_report_frequency
(5 min) has passed; liveness itself is signalled by the Lease (lease.py), as in
Kubernetes since 1.17. Conditions follow the eviction manager's thresholds:
MemoryPressure when memory.available < eviction-hard (100Mi), DiskPressure
when less than 10 % of the root dir's filesystem is free, PIDPressure when
less than 10 % of pid_max is left.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from agent.kubelet import hostinfo
from agent.kubelet.config import KubeletConfig
from minikube_py.api.errors import ApiError
from minikube_py.api.quantity import cpu_millis, memory_bytes
from minikube_py.api.times import timestamp
from minikube_py.version import GIT_VERSION

log = logging.getLogger("agent.node")
KUBELET_VERSION = GIT_VERSION


def allocatable(capacity: dict[str, str], config: KubeletConfig) -> dict[str, str]:
    """capacity - kube-reserved - system-reserved - eviction-hard (memory), like kubelet's node allocatable."""
    reserved = [config.kube_reserved, config.system_reserved]
    cpu = cpu_millis(capacity["cpu"]) - sum(cpu_millis(r.get("cpu", "0")) for r in reserved)
    memory = (memory_bytes(capacity["memory"]) - sum(memory_bytes(r.get("memory", "0")) for r in reserved)
              - memory_bytes(config.eviction_hard_memory))
    return {**capacity, "cpu": f"{max(cpu, 0)}m", "memory": f"{max(memory, 0) // 1024}Ki"}


def _condition(kind: str, true: bool, reason: str, message: str, heartbeat: str) -> dict[str, Any]:
    return {"type": kind, "status": "True" if true else "False", "reason": reason, "message": message,
            "lastHeartbeatTime": heartbeat, "lastTransitionTime": heartbeat}


def pressure_conditions(config: KubeletConfig, hollow: bool, heartbeat: str) -> list[dict[str, Any]]:
    memory = not hollow and hostinfo.memory_available() < memory_bytes(config.eviction_hard_memory)
    disk = not hollow and hostinfo.disk_available_fraction(config.root_dir) < 0.10
    pids = not hollow and hostinfo.pids_available_fraction() < 0.10
    return [
        _condition("MemoryPressure", memory, "KubeletHasInsufficientMemory" if memory else
                   "KubeletHasSufficientMemory", f"kubelet has {'insufficient' if memory else 'sufficient'} memory "
                   "available", heartbeat),
        _condition("DiskPressure", disk, "KubeletHasDiskPressure" if disk else "KubeletHasNoDiskPressure",
                   f"kubelet has {'' if disk else 'no '}disk pressure", heartbeat),
        _condition("PIDPressure", pids, "KubeletHasInsufficientPID" if pids else "KubeletHasSufficientPID",
                   f"kubelet has {'insufficient' if pids else 'sufficient'} PID available", heartbeat),
        _condition("Ready", True, "KubeletReady", "kubelet is posting ready status", heartbeat),
    ]


class NodeStatusReporter:
    def __init__(self, api: Any, config: KubeletConfig, *, hollow: bool, runtime_version: str) -> None:
        self.api, self.config, self.hollow = api, config, hollow
        self.runtime_version = runtime_version
        self.nodes = api.resource("nodes")
        self._last_sent_at = 0.0

    def desired_status(self, heartbeat: str) -> dict[str, Any]:
        config = self.config
        capacity = dict(config.hollow_capacity) if self.hollow else hostinfo.host_capacity()
        capacity["pods"] = str(config.max_pods)
        return {
            "capacity": capacity, "allocatable": allocatable(capacity, config),
            "conditions": pressure_conditions(config, self.hollow, heartbeat),
            "addresses": [{"type": "InternalIP", "address": config.node_ip},
                          {"type": "Hostname", "address": config.node_name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": config.port}},
            "nodeInfo": hostinfo.node_info(self.runtime_version, KUBELET_VERSION),
        }

    def labels(self) -> dict[str, str]:
        return {"kubernetes.io/hostname": self.config.node_name, "kubernetes.io/os": "linux",
                "kubernetes.io/arch": hostinfo.arch(), "beta.kubernetes.io/os": "linux",
                "beta.kubernetes.io/arch": hostinfo.arch(),
                **({"type": "hollow"} if self.hollow else {}), **self.config.node_labels}

    async def register(self) -> dict[str, Any]:
        """Create the Node, or take over an existing one (labels merged, status refreshed)."""
        node = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": self.config.node_name, "labels": self.labels()}, "spec": {}}
        try:
            created = await self.nodes.create(node)
            log.info("registered node %s", self.config.node_name)
        except ApiError as e:
            if e.reason != "AlreadyExists":
                raise
            created = await self.nodes.patch(self.config.node_name, {"metadata": {"labels": self.labels()}})
            log.info("node %s already exists; taking it over", self.config.node_name)
        await self.update(force=True)
        return created

    async def update(self, force: bool = False) -> bool:
        """Post the status if it differs from the Node on the server, or the report is due.

        Like kubelet, compare with what the server holds, not with what we sent
        last: the node lifecycle controller may have marked us Unknown while our
        heartbeats stalled, and that must be corrected at once, not minutes later.
        """
        status = self.desired_status(timestamp())
        due = time.monotonic() - self._last_sent_at >= self.config.node_status_report_frequency
        if not force and not due:
            on_server = (await self.nodes.get(self.config.node_name)).get("status") or {}
            self._last_conditions = {c.get("type"): c for c in on_server.get("conditions") or []
                                     if isinstance(c, dict) and "lastTransitionTime" in c}
            if self._same(on_server, status):
                return False
        self._keep_transition_times(status)
        await self.nodes.patch_status(self.config.node_name, {"status": status})
        self._last_sent_at = time.monotonic()
        self._last_conditions = {c["type"]: c for c in status["conditions"]}
        return True

    @classmethod
    def _same(cls, on_server: dict[str, Any], desired: dict[str, Any]) -> bool:
        """Equal in every field we own, ignoring heartbeat and transition times and condition order."""
        def comparable(status: dict[str, Any]) -> dict[str, Any]:
            fields = {key: status.get(key) for key in desired if key != "conditions"}
            conditions = sorted(((c.get("type"), c.get("status"), c.get("reason"), c.get("message"))
                                 for c in status.get("conditions") or [] if isinstance(c, dict)),
                                key=lambda c: str(c[0]))
            return {**fields, "conditions": conditions}
        return comparable(on_server) == comparable(desired)

    def _keep_transition_times(self, status: dict[str, Any]) -> None:
        previous = getattr(self, "_last_conditions", {})
        for condition in status["conditions"]:
            before = previous.get(condition["type"])
            if before is not None and before["status"] == condition["status"]:
                condition["lastTransitionTime"] = before["lastTransitionTime"]

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.config.node_status_update_frequency)
            try:
                await self.update()
            except ApiError as e:
                log.warning("node status update failed: %s", e.message)
            except Exception:            # never let the heartbeat die silently (kubelet's wait.Until)
                log.exception("node status update failed")
