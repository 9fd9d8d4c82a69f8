"""The kubelet's network hook: CNI ADD and DEL for one node, in Python.

Kubelet creates a pod's sandbox (a container with network mode `none`), then
asks the network plugin to plumb the sandbox's namespace and tell it the pod IP
(CNI ADD); when the pod goes away it asks for the reverse (CNI DEL). Here:

    status = await network.setup_pod(sandbox_pid_or_netns_path, pod_uid)   # ADD -> status.ip
    await network.teardown_pod(pod_uid)                                      # DEL, idempotent
    path = network.resolv_conf(pod)     # bind-mount read-only at /etc/resolv.conf

Until the node has a spec.podCIDR (node IPAM may assign it late) setup_pod
raises NetworkNotReady, as kubelet reports NetworkPluginNotReady and retries.
`configure_node(pod_cidr)` (called by node_sync.NodeNetworkController) builds
cni0 and flips the network to ready.
"""
from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.network import bridge, veth
from agent.network.ipam import HostLocalIPAM, gateway_of
from agent.network.resolv import CLUSTER_DNS, CLUSTER_DOMAIN, write_resolv_conf
from minikube_py.netns import sandbox_netns_path

CLUSTER_CIDR = "10.244.0.0/16"


class NetworkNotReady(Exception):
    """The node has no podCIDR yet, so there is no range to take pod IPs from."""


@dataclass(frozen=True)
class PodNetworkStatus:
    ip: str                 # goes to status.podIP / status.podIPs
    gateway: str
    mac: str
    host_interface: str     # the veth end on cni0


class PodNetwork:
    def __init__(self, state_dir: str | Path, *, netns: str | None = None, cluster_cidr: str = CLUSTER_CIDR,
                 service_cidr: str = bridge.SERVICE_CIDR, cluster_dns: str = CLUSTER_DNS,
                 cluster_domain: str = CLUSTER_DOMAIN) -> None:
        self.state_dir = Path(state_dir)
        self.netns = netns                     # the node's namespace; None = the one we run in
        self.cluster_cidr, self.service_cidr = cluster_cidr, service_cidr
        self.cluster_dns, self.cluster_domain = cluster_dns, cluster_domain
        self.ipam = HostLocalIPAM(self.state_dir)
        self.pod_cidr: str | None = None
        self._ready = asyncio.Event()
        self._ipam_lock = asyncio.Lock()

    # ---- node level ------------------------------------------------------------------------

    async def configure_node(self, pod_cidr: str) -> None:
        """Build/repair cni0, sysctls and FORWARD accept for this node's podCIDR."""
        await asyncio.to_thread(bridge.configure_node, self.netns, pod_cidr, self.cluster_cidr,
                                self.service_cidr)
        self.pod_cidr = str(ipaddress.ip_network(pod_cidr))
        self._ready.set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    async def wait_ready(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    # ---- pod level (CNI ADD / DEL) -----------------------------------------------------------

    async def setup_pod(self, sandbox: int | str, pod_uid: str) -> PodNetworkStatus:
        """Give the sandbox (a pid, or a netns path) eth0 with a pod IP; idempotent per pod UID."""
        if self.pod_cidr is None:
            raise NetworkNotReady("the node has no spec.podCIDR yet")
        cidr = self.pod_cidr
        sandbox_path = sandbox_netns_path(sandbox) if isinstance(sandbox, int) else sandbox
        async with self._ipam_lock:
            ip = await asyncio.to_thread(self.ipam.allocate, cidr, pod_uid)
        gateway = gateway_of(cidr)
        try:
            mac = await asyncio.to_thread(veth.add_pod_interface, self.netns, sandbox_path, pod_uid, ip,
                                          ipaddress.ip_network(cidr).prefixlen, gateway)
        except BaseException:
            async with self._ipam_lock:
                await asyncio.to_thread(self.ipam.release, pod_uid)
            raise
        return PodNetworkStatus(ip=ip, gateway=gateway, mac=mac, host_interface=veth.host_veth_name(pod_uid))

    async def teardown_pod(self, pod_uid: str) -> None:
        """Remove the veth (if the sandbox still exists) and release the pod's IP."""
        await asyncio.to_thread(veth.remove_pod_interface, self.netns, pod_uid)
        async with self._ipam_lock:
            await asyncio.to_thread(self.ipam.release, pod_uid)

    def pod_ip(self, pod_uid: str) -> str | None:
        """The IP a pod holds (e.g. for a restarted kubelet rebuilding pod status)."""
        return self.ipam.owned_by(pod_uid)

    def resolv_conf(self, pod: dict[str, Any]) -> Path:
        """Write and return the pod's resolv.conf (for the kubelet to bind-mount)."""
        return write_resolv_conf(self.state_dir, pod, cluster_dns=self.cluster_dns, domain=self.cluster_domain)

