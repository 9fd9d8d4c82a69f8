"""Node IPAM against a real API server (controllers/node_ipam.py): a private API server (own
etcd prefix) so the node numbering is the lab's, unique blocks for many nodes at once, after
a restart of the controller, and a duplicate reported rather than reassigned."""
from __future__ import annotations

import asyncio

from minikube_py.client import ApiClient, ClientConfig
from minikube_py.testing import eventually
from tests.controller_harness import InProcessManager


def node(name: str, cidr: str | None = None) -> dict:
    body = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "spec": {}}
    if cidr:
        body["spec"] = {"podCIDR": cidr, "podCIDRs": [cidr]}
    return body


async def cidrs_of(nodes, names: list[str]) -> dict[str, str] | None:
    result = {}
    for name in names:
        spec = (await nodes.get(name)).get("spec") or {}
        if not spec.get("podCIDR"):
            return None
        assert spec["podCIDRs"] == [spec["podCIDR"]]
        result[name] = spec["podCIDR"]
    return result


async def test_unique_blocks_in_lab_order_across_a_restart_and_a_reported_duplicate(private_apiserver):
    async with ApiClient(ClientConfig(server=private_apiserver.url)) as api:
        nodes = api.resource("nodes")
        first = [f"node-{i}" for i in range(1, 4)]
        for name in first:                      # the lab registers its nodes in order
            await nodes.create(node(name))
        run = InProcessManager(private_apiserver.url, ["nodeipam"])
        run.start()
        try:
            got = await eventually(lambda: cidrs_of(nodes, first), "the first nodes' podCIDRs")
            assert got == {f"node-{i}": f"10.244.{i}.0/24" for i in range(1, 4)}
            burst = [f"burst-{i}" for i in range(20)]
            await asyncio.gather(*(nodes.create(node(name)) for name in burst))
            got = await eventually(lambda: cidrs_of(nodes, first + burst), "20 more podCIDRs")
            assert len(set(got.values())) == 23
            assert set(got.values()) == {f"10.244.{i}.0/24" for i in range(1, 24)}
        finally:
            await run.stop()
        # while the controller is down: a node leaves, two join, and one comes with a taken block
        await nodes.delete("burst-0")
        await nodes.create(node("late-a"))
        await nodes.create(node("late-b"))
        await nodes.create(node("squatter", got["node-2"]))
        run = InProcessManager(private_apiserver.url, ["nodeipam"])
        run.start()
        try:
            after = await eventually(lambda: cidrs_of(nodes, first + burst[1:] + ["late-a", "late-b"]),
                                     "the late nodes' podCIDRs after the restart")
            assert {k: v for k, v in after.items() if k in got} == {k: v for k, v in got.items() if k in after}
            values = list(after.values())
            assert len(set(values)) == len(values)
            assert {after["late-a"], after["late-b"]} == {got["burst-0"], "10.244.24.0/24"}

            async def reported():
                events, _ = await api.resource("events", "default").list_all()
                return [e for e in events if e["reason"] == "CIDRNotAvailable"
                        and e["involvedObject"]["name"] in ("squatter", "node-2")]
            assert await eventually(reported, "a CIDRNotAvailable event for the duplicate")
            assert (await nodes.get("node-2"))["spec"]["podCIDR"] == "10.244.2.0/24"
        finally:
            await run.stop()
