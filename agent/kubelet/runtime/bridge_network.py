"""`--network bridge`: the kubelet's NetworkPlugin on agent/network (cni0, veth, host-local IPAM).

The agent owns one PodNetwork for its node (state under <root-dir>/network)
and a NodeNetworkController that builds cni0 once the Node has a
spec.podCIDR and keeps the host-gw routes to the other nodes. Until the
podCIDR is there, setup() waits a little and then fails, and the pod worker
retries — kubelet's "network plugin not ready".
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.kubelet.runtime.types import ContainerRecord, PodRef
from minikube_py.client.informer import SharedInformer

READY_WAIT = 30.0       # seconds a sandbox waits for the node's podCIDR before its sync fails


class BridgeNetwork:
    def __init__(self, api: Any, node_name: str, root_dir: str) -> None:
        from agent.network import PodNetwork
        from agent.network.node_sync import NodeNetworkController
        self.network = PodNetwork(Path(root_dir) / "network")
        self.nodes = SharedInformer(api.resource("nodes"))
        self.controller = NodeNetworkController(self.nodes, node_name, self.network)

    async def start(self) -> None:
        self.nodes.start()
        self.controller.start()

    async def stop(self) -> None:
        await self.controller.stop()
        await self.nodes.stop()

    async def setup(self, pod: PodRef, sandbox: ContainerRecord, netns_path: str | None) -> str | None:
        await self.network.wait_ready(READY_WAIT)
        status = await self.network.setup_pod(netns_path or sandbox.pid, pod.uid)
        return status.ip

    async def teardown(self, pod: PodRef, sandbox: ContainerRecord) -> None:
        await self.network.teardown_pod(pod.uid)

    def resolv_conf(self, pod: dict) -> str | None:
        return str(self.network.resolv_conf(pod))
