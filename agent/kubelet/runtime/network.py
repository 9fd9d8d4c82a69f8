"""The network hook of a pod sandbox: where CNI plugs in.

Kubelet asks the runtime for a sandbox, and the runtime calls the CNI plugin
with the sandbox's network namespace path (ADD) when it is created and again
(DEL) when it is torn down; the plugin answers with the pod IP. Here the hook
is a Python object with the same two calls. Until the network issue lands the
sandbox runs with Docker's network mode `none` and `NoNetwork` does nothing,
so the pod has only a loopback interface and no pod IP.
"""
from __future__ import annotations

from typing import Protocol

from agent.kubelet.runtime.types import ContainerRecord, PodRef


class NetworkPlugin(Protocol):
    async def setup(self, pod: PodRef, sandbox: ContainerRecord, netns_path: str | None) -> str | None:
        """Plumb the sandbox's namespace (e.g. a veth as eth0); return the pod IP, if any."""

    async def teardown(self, pod: PodRef, sandbox: ContainerRecord) -> None:
        """Undo setup (release the IP, remove the veth)."""


class NoNetwork:
    """Network mode `none`: loopback only, no pod IP (until the network issue)."""

    async def setup(self, pod: PodRef, sandbox: ContainerRecord, netns_path: str | None) -> str | None:
        return None

    async def teardown(self, pod: PodRef, sandbox: ContainerRecord) -> None:
        return None
