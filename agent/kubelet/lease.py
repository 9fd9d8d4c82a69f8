"""The node heartbeat: kubelet's node lease controller (pkg/kubelet/nodelease).

A coordination.k8s.io/v1 Lease named after the node in `kube-node-lease`,
renewed every 10 s (renewTime), leaseDurationSeconds 40. The node lifecycle
controller treats a lease not renewed for its duration as a dead node. The
Lease is owned by the Node, so deleting the Node removes it.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from minikube_py.api.errors import ApiError
from minikube_py.api.times import microtimestamp

log = logging.getLogger("agent.lease")
LEASE_NAMESPACE = "kube-node-lease"


class NodeLease:
    def __init__(self, api: Any, node_name: str, duration_seconds: int, renew_interval: float) -> None:
        self.leases = api.resource("leases", LEASE_NAMESPACE)
        self.node_name = node_name
        self.duration_seconds = duration_seconds
        self.renew_interval = renew_interval
        self.node_uid: str | None = None

    def _desired(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"name": self.node_name, "namespace": LEASE_NAMESPACE}
        if self.node_uid:
            meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": self.node_name,
                                        "uid": self.node_uid}]
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": meta,
                "spec": {"holderIdentity": self.node_name, "leaseDurationSeconds": self.duration_seconds,
                         "renewTime": microtimestamp()}}

    async def renew(self) -> None:
        try:
            lease = await self.leases.get(self.node_name)
        except ApiError as e:
            if e.code != 404:
                raise
            await self.leases.create(self._desired())
            return
        lease["spec"] = self._desired()["spec"]
        await self.leases.update(lease)

    async def run(self) -> None:
        while True:
            try:
                await self.renew()
            except ApiError as e:
                log.warning("renewing the node lease failed: %s", e.message)
            except Exception:            # never let the heartbeat die silently (kubelet's wait.Until)
                log.exception("renewing the node lease failed")
            await asyncio.sleep(self.renew_interval)
