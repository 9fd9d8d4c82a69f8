"""NetworkPolicy enforced with real traffic, in a lab of network namespaces of this module's own.

    nplab-<sfx> netns (plays the host)    bridge labbr
        |-- veth -- npn1-<sfx> netns  eth0 192.168.57.11, cni0 10.244.71.1/24, pods a-web, a-client
        |-- veth -- npn2-<sfx> netns  eth0 192.168.57.12, cni0 10.244.72.1/24, pods b-client, a-other

The wiring is test_network_lab.py's Lab (pods are namespaces running busybox
httpd, plumbed by our PodNetwork; host-gw routes by the node network
controller), with other names and addresses so it never meets that test or a
running lab. The API server is real, the Pods are API objects (nodeName and
podIP as the kubelet would report them), and each node's NetworkPolicy agent
runs in this process against its node's namespace, programming that
namespace's real iptables. Traffic never leaves these namespaces. No timing
assertions: bounded polling only.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import cast

import pytest

from agent.netpol.controller import JUMPS, NetworkPolicyController, cleanup, our_chains
from agent.netpol.rules import DISPATCH, OWNED_PREFIX
from agent.network import PodNetwork
from agent.network.node_sync import NodeNetworkController
from agent.proxy import iptables
from minikube_py.client import ApiClient, load_config
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.testing import eventually
from tests.integration.test_network_lab import BUSYBOX, Lab, Node, node_object, run_in

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

WEB, WEB_ALT = 8080, 8081           # every pod serves its name on both ports


class PolicyNode(Node):
    def __init__(self, lab: Lab, index: int) -> None:
        super().__init__(lab, index)
        self.netns, self.name = f"npn{index}-{lab.sfx}", f"np-node{index}-{lab.sfx}"
        self.ip, self.pod_cidr = f"192.168.57.{10 + index}", f"10.244.{70 + index}.0/24"
        self.network = PodNetwork(tempfile.mkdtemp(prefix="np-net-"), netns=self.netns)
        self.agent: NetworkPolicyController | None = None


class PolicyLab(Lab):
    factory: SharedInformerFactory

    def __init__(self) -> None:
        super().__init__()
        self.host = f"nplab-{self.sfx}"
        self.nodes = [PolicyNode(self, 1), PolicyNode(self, 2)]
        self.pod_namespace: dict[str, str] = {}

    def start_agent(self, node: PolicyNode) -> NetworkPolicyController:
        node.agent = NetworkPolicyController(self.factory.informer("networkpolicies"), self.factory.informer("pods"),
                                             self.factory.informer("namespaces"), node_name=node.name,
                                             netns=node.netns, min_sync_period=0.05)
        node.agent.start()
        return node.agent

    async def add_api_pod(self, node: PolicyNode, name: str, namespace: str, labels: dict[str, str]) -> None:
        ip = await self.add_pod(node, name)
        root = Path(tempfile.mkdtemp(prefix="np-www-"))
        (root / "index.html").write_text(name + "\n")
        self.processes.append(subprocess.Popen(["nsenter", f"--net=/var/run/netns/{self.netns(name)}", BUSYBOX,
                                                "httpd", "-f", "-p", str(WEB_ALT), "-h", str(root)]))
        pods = self.api.resource("pods", namespace)
        await pods.create({"metadata": {"name": name, "labels": labels}, "spec": {
            "nodeName": node.name, "containers": [{"name": "web", "image": "busybox", "ports": [
                {"name": "http", "containerPort": WEB}, {"name": "alt", "containerPort": WEB_ALT}]}]}})
        await pods.patch_status(name, {"status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}})
        self.pod_namespace[name] = namespace


@pytest.fixture(scope="module")
def wires() -> Iterator[PolicyLab]:
    lab = PolicyLab()
    try:
        lab.build_wires()
        yield lab
    finally:
        lab.teardown_wires()


@pytest.fixture(scope="module")
async def lab(apiserver, wires: PolicyLab) -> AsyncIterator[PolicyLab]:
    lab = wires
    api = ApiClient(load_config(server=apiserver.url))
    lab.api, lab.factory = api, SharedInformerFactory(api)
    namespaces = {"a": f"np-a-{lab.sfx}", "b": f"np-b-{lab.sfx}"}
    lab.ns = namespaces["a"]
    nodes_informer = lab.factory.informer("nodes", label_selector=f"mk-lab={lab.sfx}")
    try:
        for key, ns in namespaces.items():
            await api.resource("namespaces").create({"metadata": {"name": ns, "labels": {"np-team": key}}})
        for node in lab.nodes:
            await api.resource("nodes").create(node_object(node.name, node.pod_cidr, node.ip, lab.sfx))
            node.controller = NodeNetworkController(nodes_informer, node.name, node.network, resync_period=2)
        lab.factory.start()
        for node in lab.nodes:
            assert node.controller is not None
            node.controller.start()
            await node.network.wait_ready(timeout=20)
        node1, node2 = lab.nodes
        for node, name, key, labels in ((node1, "a-web", "a", {"app": "web"}),
                                        (node1, "a-client", "a", {"app": "client"}),
                                        (node2, "b-client", "b", {"app": "client"}),
                                        (node2, "a-other", "a", {"app": "other"})):
            await lab.add_api_pod(node, name, namespaces[key], labels)
        for node in lab.nodes:
            lab.start_agent(node)
        yield lab
    finally:
        for node in lab.nodes:
            for component in (getattr(node, "agent", None), node.controller):
                if component:
                    await component.stop()
        await lab.factory.stop()
        for resource, name in [("nodes", n.name) for n in lab.nodes] + [("namespaces", ns)
                                                                         for ns in namespaces.values()]:
            try:
                await api.resource(resource).delete(name)
            except Exception:
                pass
        await api.close()


async def reaches(lab: PolicyLab, client: str, server: str, port: int = WEB) -> bool:
    """Whether `client` gets `server`'s page (a REJECTed connection fails at once)."""
    code, out = await run_in(lab.netns(client), BUSYBOX, "wget", "-q", "-O", "-",
                             f"http://{lab.ip(server)}:{port}/")
    return code == 0 and out.strip() == server


async def settles(lab: PolicyLab, expected: dict[tuple[str, str, int], bool], what: str) -> None:
    """Poll until every (client, server, port) is reachable or not as expected."""
    seen: dict[tuple[str, str, int], bool] = {}

    async def all_as_expected() -> bool:
        results = await asyncio.gather(*(reaches(lab, c, s, p) for c, s, p in expected))
        seen.update(zip(expected, results, strict=True))
        return seen == expected
    await eventually(all_as_expected, what, explain=lambda: f"expected {expected}, saw {seen}")


def to_web(*clients: str, port: int = WEB) -> dict[tuple[str, str, int], bool]:
    return {(c, "a-web", port): True for c in clients}


def blocked(expected: dict[tuple[str, str, int], bool]) -> dict[tuple[str, str, int], bool]:
    return {k: False for k in expected}


class Policies:
    """NetworkPolicies of one test, deleted at its end."""

    def __init__(self, lab: PolicyLab) -> None:
        self.lab = lab
        self.names: list[tuple[str, str]] = []

    async def add(self, name: str, namespace: str | None = None, **spec) -> None:
        spec.setdefault("podSelector", {})
        await self.lab.api.resource("networkpolicies", namespace or self.lab.ns).create(
            {"metadata": {"name": name}, "spec": spec})
        self.names.append((namespace or self.lab.ns, name))

    async def delete_all(self) -> None:
        for namespace, name in self.names:
            await self.lab.api.resource("networkpolicies", namespace).delete(name)
        self.names = []


@pytest.fixture
async def policies(lab: PolicyLab) -> AsyncIterator[Policies]:
    made = Policies(lab)
    try:
        yield made
    finally:
        await made.delete_all()
        await settles(lab, to_web("a-client", "b-client", "a-other"), "the test's policies to be gone")


WEB_PODS = {"matchLabels": {"app": "web"}}
CLIENTS = {"podSelector": {"matchLabels": {"app": "client"}}}


async def test_without_policies_every_pod_reaches_every_other(lab: PolicyLab) -> None:
    await settles(lab, to_web("a-client", "b-client", "a-other") | {("a-web", "b-client", WEB): True},
                  "pod-to-pod traffic on one node and across nodes")


async def test_default_deny_ingress_then_allow_by_pod_selector(lab: PolicyLab, policies: Policies) -> None:
    await policies.add("deny-all")
    everyone = to_web("a-client", "b-client", "a-other")
    await settles(lab, blocked(everyone), "default deny to isolate a-web from both nodes")
    await policies.add("allow-clients", podSelector=WEB_PODS, ingress=[{"from": [CLIENTS]}])
    await settles(lab, {("a-client", "a-web", WEB): True,           # same namespace, same node
                        ("b-client", "a-web", WEB): False,          # podSelector alone: the policy's namespace
                        ("a-other", "a-web", WEB): False}, "the clients of the namespace to be let in")
    assert await reaches(lab, "a-web", "b-client")                  # egress is not restricted


async def test_allow_by_namespace_selector_from_another_node(lab: PolicyLab, policies: Policies) -> None:
    await policies.add("from-b", podSelector=WEB_PODS,
                       ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"np-team": "b"}}}]}])
    await settles(lab, {("b-client", "a-web", WEB): True, ("a-client", "a-web", WEB): False,
                        ("a-other", "a-web", WEB): False}, "namespace b to be let in")


async def test_allow_by_ip_block_with_except(lab: PolicyLab, policies: Policies) -> None:
    node2_pods = lab.nodes[1].pod_cidr
    await policies.add("from-node2", podSelector=WEB_PODS, ingress=[{"from": [{"ipBlock": {
        "cidr": node2_pods, "except": [f"{lab.ip('a-other')}/32"]}}]}])
    await settles(lab, {("b-client", "a-web", WEB): True, ("a-other", "a-web", WEB): False,
                        ("a-client", "a-web", WEB): False}, "node 2's pods but one to be let in")


async def test_allow_by_port_and_by_named_port(lab: PolicyLab, policies: Policies) -> None:
    await policies.add("alt-only", podSelector=WEB_PODS, ingress=[{"ports": [{"port": WEB_ALT}]}])
    await settles(lab, to_web("a-client", "b-client", port=WEB_ALT) | blocked(to_web("a-client", "b-client")),
                  "only port 8081 to be open")
    await policies.add("http-by-name", podSelector=WEB_PODS,
                       ingress=[{"from": [CLIENTS], "ports": [{"port": "http", "protocol": "TCP"}]}])
    await settles(lab, to_web("a-client", port=WEB_ALT) | to_web("a-client") | {("a-other", "a-web", WEB): False},
                  "the named port http (8080) to be open to the clients")


async def test_egress_deny_keeps_replies_of_allowed_connections(lab: PolicyLab, policies: Policies) -> None:
    await policies.add("web-no-egress", podSelector=WEB_PODS, policyTypes=["Egress"])
    await settles(lab, {("a-web", "b-client", WEB): False, ("a-web", "a-client", WEB): False,
                        ("a-client", "a-web", WEB): True}, "a-web cut off, its replies still going out")
    await policies.add("web-to-b", podSelector=WEB_PODS, policyTypes=["Egress"], egress=[{
        "to": [{"namespaceSelector": {"matchLabels": {"np-team": "b"}}}], "ports": [{"port": "alt"}]}])
    await settles(lab, {("a-web", "b-client", WEB_ALT): True, ("a-web", "b-client", WEB): False,
                        ("a-web", "a-client", WEB_ALT): False}, "egress to b's named port alt only")


async def test_deleting_the_policy_restores_access(lab: PolicyLab, policies: Policies) -> None:
    await policies.add("deny-all")
    await settles(lab, blocked(to_web("a-client", "b-client")), "isolation")
    await policies.delete_all()
    await settles(lab, to_web("a-client", "b-client"), "access back once the policy is deleted")


async def test_agent_restart_keeps_rules_and_sweeps_stale_chains(lab: PolicyLab, policies: Policies) -> None:
    node1 = cast(PolicyNode, lab.nodes[0])
    await policies.add("deny-all")
    await settles(lab, blocked(to_web("a-client", "b-client")), "isolation before the restart")
    assert node1.agent is not None
    await node1.agent.stop()
    stale = f"{OWNED_PREFIX}IN-STALESTALE0"
    iptables.restore(node1.netns, f"*filter\n:{stale} - [0:0]\n-A {stale} -j REJECT\nCOMMIT\n")
    assert not await reaches(lab, "a-client", "a-web")              # the rules stay while the agent is down
    await policies.add("allow-clients", podSelector=WEB_PODS, ingress=[{"from": [CLIENTS]}])
    lab.start_agent(node1)
    await settles(lab, {("a-client", "a-web", WEB): True, ("a-other", "a-web", WEB): False},
                  "the restarted agent to apply what changed while it was down")
    gone = await eventually(lambda: _chain_absent(node1.netns, stale), "the stale chain to be swept")
    assert gone
    forward = iptables.list_chain(node1.netns, "filter", "FORWARD").splitlines()
    assert sum(f"-j {DISPATCH}" in line for line in forward) == 1   # the jump once, not once per start


async def _chain_absent(netns: str, chain: str) -> bool:
    return ("filter", chain) not in await asyncio.to_thread(our_chains, netns, OWNED_PREFIX)


async def test_cleanup_removes_every_chain_and_jump(lab: PolicyLab, policies: Policies) -> None:
    """Last: --cleanup on node 2 (its agent stopped first, as the command runs without one)."""
    node2 = cast(PolicyNode, lab.nodes[1])
    await policies.add("deny-all")
    await settles(lab, blocked(to_web("b-client")), "isolation from node 2")   # enforced on node 1
    assert node2.agent is not None
    await node2.agent.stop()
    code, out = await run_in(node2.netns, sys.executable, "-m", "agent.netpol", "--cleanup", timeout=60)
    assert code == 0 and "removed" in out, out
    saved = iptables.save(node2.netns, "filter")
    assert DISPATCH not in saved
    assert all(jump.target not in iptables.list_chain(node2.netns, "filter", jump.base) for jump in JUMPS)
    assert cleanup(node2.netns) == 0                     # idempotent
    lab.start_agent(node2)
    await eventually(lambda: _chain_present(node2.netns), "node 2's agent to program its rules again")


async def _chain_present(netns: str) -> bool:
    return ("filter", DISPATCH) in await asyncio.to_thread(our_chains, netns, DISPATCH)
