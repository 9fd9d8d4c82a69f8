"""The network hook of a pod sandbox: where CNI plugs in.

Kubelet asks the runtime for a sandbox, and the runtime calls the CNI plugin
with the sandbox's network namespace path (ADD) when it is created and again
(DEL) when it is torn down; the plugin answers with the pod IP. Here the hook
is a Python object with the same two calls, plus `resolv_conf(pod)`: the file
kubelet bind-mounts at /etc/resolv.conf (dnsPolicy ClusterFirst), or None.
The sandbox starts with only a loopback in its own network namespace; then
- NoNetwork (`--network none`) does nothing: loopback only, no pod IP, and the
  node's own resolv.conf (kubelet's dnsPolicy Default);
- BridgeNetwork (`--network bridge`, bridge_network.py) plumbs eth0 on cni0
  through agent/network, as a CNI bridge plugin would.
"""
from __future__ import annotations

import os
from typing import Protocol

from agent.kubelet.runtime.types import ContainerRecord, PodRef
from agent.network.resolv import NODE_RESOLV_CONF


class NetworkPlugin(Protocol):
    async def setup(self, pod: PodRef, sandbox: ContainerRecord, netns_path: str | None) -> str | None:
        """Plumb the sandbox's namespace (e.g. a veth as eth0); return the pod IP, if any."""

    async def teardown(self, pod: PodRef, sandbox: ContainerRecord) -> None:
        """Undo setup (release the IP, remove the veth)."""

    def resolv_conf(self, pod: dict) -> str | None:
        """A host file to bind-mount read-only at /etc/resolv.conf in every container, or None."""


class NoNetwork:
    """Network mode `none`: loopback only, no pod IP."""

    async def setup(self, pod: PodRef, sandbox: ContainerRecord, netns_path: str | None) -> str | None:
        return None

    async def teardown(self, pod: PodRef, sandbox: ContainerRecord) -> None:
        return None

    def resolv_conf(self, pod: dict) -> str | None:
        return NODE_RESOLV_CONF if os.path.isfile(NODE_RESOLV_CONF) else None
