"""Node IPAM: kube-controller-manager's pkg/controller/nodeipam (the RangeAllocator).

Every Node gets one block of the cluster CIDR as `spec.podCIDR` (and
`spec.podCIDRs`): the node agent gives its pods addresses from it and the other
nodes route it to that node (host-gw).

- The blocks are `--cluster-cidr` (default 10.244.0.0/16) cut into
  `--node-cidr-mask-size` (default /24) pieces, numbered 0, 1, 2, ...
- A new node gets the *lowest free* block, starting at block 1: block 0
  (10.244.0.0/24) is skipped, so the lab's nodes, registered in order, get
  10.244.1.0/24, 10.244.2.0/24, ... and "node i has 10.244.i.0/24" holds as
  long as no node was deleted in between (then its block is reused first).
  Kubernetes instead hands blocks out round-robin from a moving cursor;
  lowest-free keeps the lab's numbers readable. Block 0 is used only when
  every other block is taken.
- The set of used blocks lives in memory and is rebuilt from all Nodes when
  the controller starts, before it assigns anything, so a restart never hands
  out a block twice. A block we wrote (or tried to) stays reserved for that
  node until the cache shows the node with its real podCIDR, so two nodes
  never get the same block while the cache lags.
- The write is a merge patch carrying the node's resourceVersion (compare
  and swap): if the node changed since we read it, the API server answers
  409 and we look again. The API server itself refuses to change a podCIDR
  once set.
- A node that already has a block another node holds (e.g. set by hand) is
  reported with a Warning Event `CIDRNotAvailable` and left alone: nothing is
  reassigned silently. A full range gives the same event.
"""
from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

from controllers.base import Controller, ControllerContext, Obj, object_key, register, split_key
from controllers.config import NodeIPAMControllerConfiguration
from minikube_py.api.errors import ApiError

DEFAULT_CLUSTER_CIDR = NodeIPAMControllerConfiguration.cluster_cidr
DEFAULT_NODE_MASK = NodeIPAMControllerConfiguration.node_cidr_mask_size
FIRST_BLOCK = 1


class RangeFull(Exception):
    pass


class CidrSet:
    """The blocks of one cluster CIDR and which node holds each (pure; unit-tested)."""

    def __init__(self, cluster_cidr: str = DEFAULT_CLUSTER_CIDR, mask: int = DEFAULT_NODE_MASK) -> None:
        self.network = ipaddress.ip_network(cluster_cidr, strict=True)
        if not self.network.prefixlen <= mask <= self.network.max_prefixlen:
            raise ValueError(f"node CIDR mask /{mask} does not fit in the cluster CIDR {cluster_cidr}")
        self.mask = mask
        self.size = 2 ** (mask - self.network.prefixlen)
        self.holders: dict[int, str] = {}          # block index -> node name

    def block(self, index: int) -> str:
        step = 2 ** (self.network.max_prefixlen - self.mask)
        return f"{self.network.network_address + index * step}/{self.mask}"

    def index_of(self, cidr: str) -> int | None:
        """The block index of `cidr`, or None if it is not one of our blocks."""
        try:
            net = ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            return None
        if net.prefixlen != self.mask or not net.subnet_of(self.network):     # type: ignore[arg-type]
            return None
        step = 2 ** (self.network.max_prefixlen - self.mask)
        return (int(net.network_address) - int(self.network.network_address)) // step

    def holder(self, cidr: str) -> str | None:
        index = self.index_of(cidr)
        return None if index is None else self.holders.get(index)

    def occupy(self, cidr: str, node: str) -> bool:
        """Record that `node` holds `cidr`; False if another node holds it already.
        A CIDR outside the cluster CIDR is not ours to track (True)."""
        index = self.index_of(cidr)
        if index is None:
            return True
        holder = self.holders.setdefault(index, node)
        return holder == node

    def allocate(self, node: str) -> str:
        """The block reserved for `node` already, else the lowest free block from FIRST_BLOCK on
        (block 0 last), now held by `node`."""
        held = sorted(i for i, holder in self.holders.items() if holder == node)
        if held:
            return self.block(held[0])
        for index in [*range(min(FIRST_BLOCK, self.size), self.size), *range(min(FIRST_BLOCK, self.size))]:
            if index not in self.holders:
                self.holders[index] = node
                return self.block(index)
        raise RangeFull(f"no free /{self.mask} left in {self.network}")

    def release_node(self, node: str) -> None:
        for index in [i for i, holder in self.holders.items() if holder == node]:
            del self.holders[index]

    def release(self, cidr: str, node: str) -> None:
        index = self.index_of(cidr)
        if index is not None and self.holders.get(index) == node:
            del self.holders[index]


def pod_cidrs(node: Obj) -> list[str]:
    spec = node.get("spec") or {}
    cidrs = list(spec.get("podCIDRs") or [])
    if spec.get("podCIDR") and spec["podCIDR"] not in cidrs:
        cidrs.insert(0, spec["podCIDR"])
    return cidrs


@register
class NodeIpamController(Controller):
    name = "nodeipam"
    workers_flag = "nodeipam"
    default_workers = 1

    def __init__(self, ctx: ControllerContext) -> None:
        config = ctx.config.node_ipam
        self.cidrs = CidrSet(config.cluster_cidr, config.node_cidr_mask_size)
        self.lock = asyncio.Lock()
        super().__init__(ctx)

    def setup(self) -> None:
        self.nodes = self.informer("nodes")
        self.nodes.add_event_handler(self.enqueue, lambda old, new: self.enqueue(new), self.on_node_delete)

    def on_node_delete(self, node: Obj) -> None:
        self.cidrs.release_node(object_key(node))

    async def run(self, workers: int) -> None:
        await self.nodes.wait_for_sync()
        self.rebuild()
        await super().run(workers)

    def rebuild(self) -> None:
        """Occupy every block some Node already has, before assigning any (a restart is safe)."""
        for node in sorted(self.nodes.list(), key=lambda n: n["metadata"].get("creationTimestamp") or ""):
            for cidr in pod_cidrs(node):
                if not self.cidrs.occupy(cidr, node["metadata"]["name"]):
                    self.log.warning("node %s has %s, already held by %s", node["metadata"]["name"], cidr,
                                     self.cidrs.holder(cidr))

    async def reconcile(self, key: str) -> None:
        _, name = split_key(key)
        node = self.nodes.get(name)
        if node is None or node["metadata"].get("deletionTimestamp"):
            self.cidrs.release_node(name)
            return
        async with self.lock:
            existing = pod_cidrs(node)
            if existing:
                await self.check_existing(node, existing)
            else:
                await self.assign(node)

    async def check_existing(self, node: Obj, existing: list[str]) -> None:
        name = node["metadata"]["name"]
        for cidr in existing:
            if not self.cidrs.occupy(cidr, name):
                await self.recorder.warning(node, "CIDRNotAvailable",
                                            f"Node {name}: podCIDR {cidr} is already assigned to node "
                                            f"{self.cidrs.holder(cidr)}; not reassigning it")
        # a block we reserved for this node but lost the race for is free again
        for index, holder in list(self.cidrs.holders.items()):
            if holder == name and self.cidrs.block(index) not in existing:
                del self.cidrs.holders[index]

    async def assign(self, node: Obj) -> None:
        name = node["metadata"]["name"]
        try:
            cidr = self.cidrs.allocate(name)
        except RangeFull as e:
            await self.recorder.warning(node, "CIDRNotAvailable", f"Node {name} status is now: CIDRNotAvailable ({e})")
            raise
        patch: dict[str, Any] = {"metadata": {"resourceVersion": node["metadata"]["resourceVersion"]},
                                 "spec": {"podCIDR": cidr, "podCIDRs": [cidr]}}
        try:
            await self.api.resource("nodes").patch(name, patch)
        except ApiError as e:
            if e.reason == "NotFound":
                self.cidrs.release(cidr, name)
                return
            # Conflict: the node changed under us (maybe our own earlier patch, not cached yet).
            # The block stays reserved for it; the retry reads the node again.
            raise
        self.log.info("assigned %s to node %s", cidr, name)
        await self.recorder.normal(node, "CIDRAssignmentSucceeded", f"Node {name} got podCIDR {cidr}")
