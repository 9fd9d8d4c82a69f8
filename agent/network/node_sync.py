"""Keep the node's network in step with Node objects: cni0 and host-gw routes.

A small controller, level-triggered like every Kubernetes controller: any
change to any Node wakes one sync, which (1) configures cni0 as soon as our
own Node has a spec.podCIDR (node IPAM may assign it after the agent started)
and (2) makes the host-gw routes equal the other nodes' podCIDR -> InternalIP.
A periodic resync repairs drift (a route deleted by hand).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from agent.network.pod_network import PodNetwork
from agent.network.routes import desired_routes, sync_routes
from minikube_py.client.informer import SharedInformer

log = logging.getLogger("agent.network.node_sync")


class NodeNetworkController:
    def __init__(self, nodes: SharedInformer, node_name: str, network: PodNetwork,
                 resync_period: float = 30.0) -> None:
        self.nodes, self.node_name, self.network = nodes, node_name, network
        self.resync_period = resync_period
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.syncs = 0
        nodes.add_event_handler(on_add=self._changed, on_update=self._changed, on_delete=self._changed)

    def _changed(self, *_: Any) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"node-network-{self.node_name}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        await self.nodes.wait_for_sync()
        while True:
            self._wake.clear()
            try:
                await self.sync_once()
            except Exception:
                log.exception("node network sync failed")
            try:
                await asyncio.wait_for(self._wake.wait(), self.resync_period)
            except TimeoutError:
                pass

    async def sync_once(self) -> None:
        own = self.nodes.get(self.node_name) or {}
        pod_cidr = (own.get("spec") or {}).get("podCIDR")
        if pod_cidr and pod_cidr != self.network.pod_cidr:
            log.info("node %s: podCIDR %s, configuring cni0", self.node_name, pod_cidr)
            await self.network.configure_node(pod_cidr)
        wanted = desired_routes(self.nodes.list(), self.node_name)
        result = await asyncio.to_thread(sync_routes, self.network.netns, wanted)
        if result.added or result.removed:
            log.info("host-gw routes: added %s, removed %s", result.added, result.removed)
        self.syncs += 1
