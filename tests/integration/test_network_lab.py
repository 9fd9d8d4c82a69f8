"""The pod network, kube-proxy and cluster DNS in a real lab of network namespaces.

    lab netns (plays the host)   bridge labbr 192.168.56.1/24
        |-- veth -- node-1 netns   eth0 192.168.56.11, cni0 10.244.1.1/24, pods p1a p1b
        |-- veth -- node-2 netns   eth0 192.168.56.12, cni0 10.244.2.1/24, pod  p2a

Everything lives in namespaces this module creates (random suffixes) and
removes in finalizers, also when a test fails; the host's namespace is never
touched. Pods are plain namespaces running busybox httpd, plumbed by our
PodNetwork exactly as the kubelet's sandbox would be. The node agents'
network controller, proxier and DNS server run in this process, against the
real API server, each operating on its node's namespace. No timing
assertions: bounded polling only.
"""
from __future__ import annotations

import asyncio
import collections
import functools
import os
import subprocess
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest
from pyroute2 import netns as pynetns

from agent.dns.records import ClusterZone, informer_lookup
from agent.dns.server import DnsServer
from agent.network import PodNetwork
from agent.network.node_sync import NodeNetworkController
from agent.network.resolv import write_resolv_conf
from agent.network.routes import RTPROT_HOSTGW, current_routes
from agent.proxy import iptables
from agent.proxy.model import Endpoint, ServicePort
from agent.proxy.proxier import Proxier
from minikube_py.client import ApiClient, load_config
from minikube_py.client.informer import SharedInformer, SharedInformerFactory
from minikube_py.netns import open_iproute
from minikube_py.testing import eventually

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")
BUSYBOX = "/bin/busybox"


async def run_in(netns: str, *argv: str, timeout: float = 5.0) -> tuple[int, str]:
    """Run a command inside a namespace; (exit code, stdout+stderr), killed after `timeout`."""
    proc = await asyncio.create_subprocess_exec("nsenter", f"--net=/var/run/netns/{netns}", *argv,
                                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return -1, "timeout"
    return proc.returncode if proc.returncode is not None else -1, out.decode(errors="replace")


async def fetch(netns: str, url: str) -> str | None:
    code, out = await run_in(netns, BUSYBOX, "wget", "-q", "-O", "-", url)
    return out.strip() if code == 0 else None


class Node:
    def __init__(self, lab: Lab, index: int) -> None:
        self.lab, self.index = lab, index
        self.netns = f"mkn{index}-{lab.sfx}"
        self.name = f"mk-node{index}-{lab.sfx}"
        self.ip = f"192.168.56.{10 + index}"
        self.pod_cidr = f"10.244.{index}.0/24"
        self.network = PodNetwork(tempfile.mkdtemp(prefix="mk-net-"), netns=self.netns)
        self.controller: NodeNetworkController | None = None
        self.proxier: Proxier | None = None

    def start_proxier(self) -> Proxier:
        self.proxier = Proxier(self.lab.services, self.lab.endpoints, netns=self.netns,
                               cluster_cidr="10.244.0.0/16", min_sync_period=0.05)
        self.proxier.start()
        return self.proxier


class Lab:
    # set by the fixture once the API server and the informers run
    api: ApiClient
    ns: str
    services: SharedInformer
    endpoints: SharedInformer

    def __init__(self) -> None:
        self.sfx = uuid.uuid4().hex[:6]
        self.host = f"mklab-{self.sfx}"
        self.namespaces: list[str] = []
        self.processes: list[subprocess.Popen] = []
        self.nodes = [Node(self, 1), Node(self, 2)]
        self.pods: dict[str, tuple[Node, str, str]] = {}      # name -> (node, netns, ip)

    # ---- topology (synchronous netlink; run from a worker thread) ---------------------------

    def add_netns(self, name: str) -> None:
        pynetns.create(name)
        self.namespaces.append(name)

    def build_wires(self) -> None:
        self.add_netns(self.host)
        with open_iproute(self.host) as ipr:
            ipr.link("add", ifname="labbr", kind="bridge")
            bridge = ipr.link_lookup(ifname="labbr")[0]
            ipr.addr("add", index=bridge, address="192.168.56.1", prefixlen=24)
            ipr.link("set", index=bridge, state="up")
        for node in self.nodes:
            self.add_netns(node.netns)
            self._wire(node)

    def _wire(self, node: Node) -> None:
        with open_iproute(self.host) as ipr:
            ipr.link("add", ifname=f"lab{node.index}", kind="veth", peer={"ifname": f"up{node.index}"})
            fd = os.open(f"/var/run/netns/{node.netns}", os.O_RDONLY)
            try:
                ipr.link("set", index=ipr.link_lookup(ifname=f"up{node.index}")[0], net_ns_fd=fd)
            finally:
                os.close(fd)
            lab_end = ipr.link_lookup(ifname=f"lab{node.index}")[0]
            ipr.link("set", index=lab_end, master=ipr.link_lookup(ifname="labbr")[0], state="up")
        with open_iproute(node.netns) as ipr:
            index = ipr.link_lookup(ifname=f"up{node.index}")[0]
            ipr.link("set", index=index, ifname="eth0")
            ipr.addr("add", index=index, address=node.ip, prefixlen=24)
            ipr.link("set", index=index, state="up")
            ipr.link("set", index=ipr.link_lookup(ifname="lo")[0], state="up")

    def teardown_wires(self) -> None:
        for proc in self.processes:      # by pid: only what we started
            proc.kill()
            proc.wait()
        for name in reversed(self.namespaces):
            try:
                pynetns.remove(name)
            except OSError:
                pass

    # ---- pods ------------------------------------------------------------------------------

    async def add_pod(self, node: Node, name: str) -> str:
        netns = f"mkp-{name}-{self.sfx}"
        await asyncio.to_thread(self.add_netns, netns)
        status = await node.network.setup_pod(f"/var/run/netns/{netns}", f"uid-{name}-{self.sfx}")
        root = Path(tempfile.mkdtemp(prefix="mk-www-"))
        (root / "index.html").write_text(name + "\n")
        self.processes.append(subprocess.Popen(["nsenter", f"--net=/var/run/netns/{netns}", BUSYBOX, "httpd",
                                                "-f", "-p", "8080", "-h", str(root)]))
        self.pods[name] = (node, netns, status.ip)
        return status.ip

    def ip(self, pod: str) -> str:
        return self.pods[pod][2]

    def netns(self, pod: str) -> str:
        return self.pods[pod][1]


@pytest.fixture(scope="module")
def wires():
    """The namespaces, bridges and veths (and pod processes): removed by name even if a test fails."""
    lab = Lab()
    try:
        lab.build_wires()
        yield lab
    finally:
        lab.teardown_wires()


@pytest.fixture(scope="module")
async def lab(apiserver, wires: Lab):
    lab = wires
    api = ApiClient(load_config(server=apiserver.url))
    factory = SharedInformerFactory(api)
    lab.api, lab.ns = api, f"net-{lab.sfx}"
    lab.services, lab.endpoints = factory.informer("services"), factory.informer("endpoints")
    nodes_informer = factory.informer("nodes", label_selector=f"mk-lab={lab.sfx}")
    try:
        await api.resource("namespaces").create({"metadata": {"name": lab.ns}})
        for node in lab.nodes:
            await api.resource("nodes").create(node_object(node.name, node.pod_cidr, node.ip, lab.sfx))
            node.controller = NodeNetworkController(nodes_informer, node.name, node.network, resync_period=2)
        factory.start()
        for node in lab.nodes:
            assert node.controller is not None
            node.controller.start()
            node.start_proxier()
            await node.network.wait_ready(timeout=20)
        for pod, node in (("p1a", lab.nodes[0]), ("p1b", lab.nodes[0]), ("p2a", lab.nodes[1])):
            await lab.add_pod(node, pod)
        yield lab
    finally:
        for node in lab.nodes:
            for component in (node.proxier, node.controller):
                if component:
                    await component.stop()
        await factory.stop()
        for resource, name in [("nodes", n.name) for n in lab.nodes] + [("namespaces", lab.ns)]:
            try:
                await api.resource(resource).delete(name)
            except Exception:
                pass
        await api.close()


def node_object(name: str, pod_cidr: str | None, ip: str, sfx: str) -> dict:
    return {"metadata": {"name": name, "labels": {"mk-lab": sfx}},
            "spec": {"podCIDR": pod_cidr} if pod_cidr else {},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}


async def make_service(lab: Lab, name: str, backends: list[str], *, node_port: bool = False,
                       not_ready: Sequence[str] = (), port: int = 80, protocol: str = "TCP",
                       target_port: int = 8080, endpoint_ips: list[str] | None = None, **extra) -> dict:
    """A selector-less Service plus its Endpoints (what the endpoints controller would write)."""
    spec = {"ports": [{"name": "web", "port": port, "targetPort": target_port, "protocol": protocol}], **extra}
    if node_port:
        spec["type"] = "NodePort"
    service = await lab.api.resource("services", lab.ns).create({"metadata": {"name": name}, "spec": spec})
    await lab.api.resource("endpoints", lab.ns).create(endpoints_object(
        lab, name, endpoint_ips or [lab.ip(b) for b in backends], [lab.ip(b) for b in not_ready],
        target_port, protocol))
    return service


def endpoints_object(lab: Lab, name: str, ready: list[str], not_ready: list[str], port: int = 8080,
                     protocol: str = "TCP") -> dict:
    subset = {"addresses": [{"ip": ip} for ip in ready], "ports": [{"name": "web", "port": port,
                                                                    "protocol": protocol}]}
    if not_ready:
        subset["notReadyAddresses"] = [{"ip": ip} for ip in not_ready]
    return {"metadata": {"name": name, "namespace": lab.ns}, "subsets": [subset]}


async def hits(lab: Lab, client: str, url: str, tries: int = 30) -> collections.Counter:
    counter: collections.Counter = collections.Counter()
    for _ in range(tries):
        counter[await fetch(lab.netns(client), url)] += 1
    return counter


def service_chains(lab: Lab, node: Node) -> str:
    return iptables.save(node.netns, "nat")


# ---- pod network -----------------------------------------------------------------------------

async def test_pod_to_pod_on_one_node_and_across_nodes(lab: Lab) -> None:
    assert await fetch(lab.netns("p1a"), f"http://{lab.ip('p1b')}:8080/") == "p1b"
    assert await eventually(lambda: fetch(lab.netns("p1a"), f"http://{lab.ip('p2a')}:8080/"),
                            "a pod on node 1 reaching a pod on node 2 over host-gw") == "p2a"
    assert await fetch(lab.netns("p2a"), f"http://{lab.ip('p1a')}:8080/") == "p1a"


async def test_host_gw_routes_follow_node_objects(lab: Lab) -> None:
    node1, nodes = lab.nodes[0], lab.api.resource("nodes")
    extra = f"mk-extra-{lab.sfx}"
    routes = lambda: asyncio.to_thread(current_routes, node1.netns)   # noqa: E731
    await nodes.create(node_object(extra, "10.244.77.0/24", "192.168.56.77", lab.sfx))
    try:
        await eventually(lambda: _has(routes, "10.244.77.0/24", "192.168.56.77"), "the route to a new node")
        await nodes.patch_status(extra, {"status": {"addresses": [{"type": "InternalIP",
                                                                   "address": "192.168.56.78"}]}})
        await eventually(lambda: _has(routes, "10.244.77.0/24", "192.168.56.78"), "the route to follow the IP")
    finally:
        await nodes.delete(extra)
    await eventually(lambda: _has(routes, "10.244.77.0/24", None), "the route to go with the node")
    assert (await routes())["10.244.2.0/24"] == "192.168.56.12"
    assert RTPROT_HOSTGW == 195


async def _has(routes, cidr: str, via: str | None) -> bool:
    return (await routes()).get(cidr) == via


async def test_ipam_survives_an_agent_restart_and_releases_on_teardown(lab: Lab) -> None:
    node = lab.nodes[1]
    restarted = PodNetwork(node.network.state_dir, netns=node.netns)
    await restarted.configure_node(node.pod_cidr)
    assert restarted.pod_ip(f"uid-p2a-{lab.sfx}") == lab.ip("p2a")
    pod_ns = f"mkp-tmp-{lab.sfx}"
    await asyncio.to_thread(lab.add_netns, pod_ns)
    status = await restarted.setup_pod(f"/var/run/netns/{pod_ns}", "uid-tmp")
    assert status.ip != lab.ip("p2a") and status.mac == "0a:58:" + ":".join(
        f"{int(b):02x}" for b in status.ip.split("."))
    code, _ = await run_in(pod_ns, BUSYBOX, "ping", "-c", "1", "-W", "2", lab.ip("p2a"))
    assert code == 0
    await restarted.teardown_pod("uid-tmp")
    assert restarted.pod_ip("uid-tmp") is None
    assert status.ip not in restarted.ipam.allocations()


# ---- kube-proxy --------------------------------------------------------------------------------

async def test_cluster_ip_reaches_every_endpoint_from_both_nodes(lab: Lab) -> None:
    svc = await make_service(lab, "spread", ["p1a", "p1b", "p2a"])
    url = f"http://{svc['spec']['clusterIP']}:80/"
    await eventually(lambda: fetch(lab.netns("p2a"), url), "the ClusterIP to answer")
    for client in ("p1a", "p2a"):
        counted = await hits(lab, client, url)
        assert set(counted) == {"p1a", "p1b", "p2a"}, counted


async def test_session_affinity_client_ip_sticks_to_one_endpoint(lab: Lab) -> None:
    svc = await make_service(lab, "sticky", ["p1a", "p1b", "p2a"], sessionAffinity="ClientIP")
    url = f"http://{svc['spec']['clusterIP']}:80/"
    await eventually(lambda: fetch(lab.netns("p2a"), url), "the sticky service to answer")
    assert len(await hits(lab, "p2a", url, tries=15)) == 1


async def test_hairpin_a_pod_reaches_itself_through_its_service(lab: Lab) -> None:
    svc = await make_service(lab, "self", ["p1a"])
    url = f"http://{svc['spec']['clusterIP']}:80/"
    assert await eventually(lambda: fetch(lab.netns("p1a"), url), "hairpin traffic") == "p1a"


async def test_node_port_from_the_host(lab: Lab) -> None:
    svc = await make_service(lab, "np", ["p2a"], node_port=True)
    node_port = svc["spec"]["ports"][0]["nodePort"]
    for node in lab.nodes:      # node 1 has no local endpoint: DNAT + masquerade across nodes
        url = f"http://{node.ip}:{node_port}/"
        assert await eventually(functools.partial(fetch, lab.host, url), f"NodePort on {node.name}") == "p2a"


async def test_service_without_endpoints_is_rejected_not_blackholed(lab: Lab) -> None:
    svc = await make_service(lab, "empty", [], endpoint_ips=[])
    url = f"http://{svc['spec']['clusterIP']}:80/"
    async def refused() -> bool:
        code, out = await run_in(lab.netns("p1a"), BUSYBOX, "wget", "-q", "-O", "-", url)
        return code not in (0, -1) and "refused" in out.lower()
    assert await eventually(refused, "an immediate 'connection refused'")


async def test_unready_endpoint_stops_receiving_traffic(lab: Lab) -> None:
    svc = await make_service(lab, "ready", ["p1a", "p2a"])
    url = f"http://{svc['spec']['clusterIP']}:80/"
    await eventually(lambda: _serves_all(lab, url, {"p1a", "p2a"}), "both endpoints to serve")
    await lab.api.resource("endpoints", lab.ns).update(
        endpoints_object(lab, "ready", [lab.ip("p1a")], [lab.ip("p2a")]))
    await eventually(lambda: _serves_all(lab, url, {"p1a"}), "the unready endpoint to drop out")
    assert set(await hits(lab, "p1b", url, tries=20)) == {"p1a"}


async def _serves_all(lab: Lab, url: str, expected: set[str]) -> bool:
    return set(await hits(lab, "p1b", url, tries=12)) == expected


async def test_scale_down_removes_the_sep_chain(lab: Lab) -> None:
    await make_service(lab, "scale", ["p1a", "p1b"])
    port = ServicePort(lab.ns, "scale", "web", "TCP", "", 80, None, None, ())
    gone = port.sep_chain(Endpoint(lab.ip("p1b"), 8080))
    node = lab.nodes[0]
    await eventually(lambda: _chain_present(lab, node, gone), "the SEP chain to be written")
    await lab.api.resource("endpoints", lab.ns).update(endpoints_object(lab, "scale", [lab.ip("p1a")], []))
    await eventually(lambda: _chain_absent(lab, node, gone), "the SEP chain to be deleted")
    assert node.proxier is not None
    assert any(not sync.full and sync.chains_deleted for sync in node.proxier.history)   # a partial sync did it
    assert f":{port.sep_chain(Endpoint(lab.ip('p1a'), 8080))} " in service_chains(lab, node)


async def _chain_present(lab: Lab, node: Node, chain: str) -> bool:
    return f":{chain} " in await asyncio.to_thread(service_chains, lab, node)


async def _chain_absent(lab: Lab, node: Node, chain: str) -> bool:
    return not await _chain_present(lab, node, chain)


async def test_proxy_restart_keeps_services_and_removes_what_went_away(lab: Lab) -> None:
    keep = await make_service(lab, "keep", ["p2a"])
    doomed = await make_service(lab, "doomed", ["p2a"])
    node = lab.nodes[0]
    url = f"http://{keep['spec']['clusterIP']}:80/"
    await eventually(lambda: fetch(lab.netns("p1a"), url), "the service before the restart")
    doomed_chain = ServicePort(lab.ns, "doomed", "web", "TCP", "", 80, None, None, ()).svc_chain
    await eventually(lambda: _chain_present(lab, node, doomed_chain), "the doomed service's chain")
    assert node.proxier is not None
    await node.proxier.stop()
    assert await fetch(lab.netns("p1a"), url) == "p2a"          # rules stay while the proxy is down
    await lab.api.resource("services", lab.ns).delete("doomed")
    node.start_proxier()
    await eventually(lambda: _chain_absent(lab, node, doomed_chain), "the restarted proxy to delete stale chains")
    assert await fetch(lab.netns("p1a"), url) == "p2a"
    assert doomed["spec"]["clusterIP"]


# ---- cluster DNS -------------------------------------------------------------------------------

async def test_dns_names_resolve_from_inside_a_pod(lab: Lab) -> None:
    node = lab.nodes[0]
    zone = ClusterZone(informer_lookup(lab.services), informer_lookup(lab.endpoints))
    server = DnsServer(zone, node.ip, 53, netns=node.netns)
    await server.start()
    try:
        dns = await make_service(lab, "kube-dns", [], port=53, protocol="UDP", target_port=53,
                                 endpoint_ips=[node.ip])
        web = await make_service(lab, "web", ["p2a"])
        dns_ip, web_ip = dns["spec"]["clusterIP"], web["spec"]["clusterIP"]
        name = f"web.{lab.ns}.svc.cluster.local"
        async def resolved() -> bool:        # from node 2, through the ClusterIP of kube-dns
            code, out = await run_in(lab.netns("p2a"), BUSYBOX, "nslookup", name, dns_ip)
            return code == 0 and web_ip in out
        await eventually(resolved, f"{name} to resolve through {dns_ip}")
        code, out = await run_in(lab.netns("p2a"), BUSYBOX, "nslookup", f"nope.{lab.ns}.svc.cluster.local", dns_ip)
        assert code != 0 and "NXDOMAIN" in out.upper()
        pod = {"metadata": {"namespace": lab.ns, "uid": f"dns-{lab.sfx}", "name": "c"}, "spec": {}}
        resolv = write_resolv_conf(node.network.state_dir, pod, cluster_dns=dns_ip)
        # the pod's view: its own /etc/resolv.conf (as the kubelet bind-mounts it), short name `web.<ns>`
        code, out = await run_in(lab.netns("p1a"), "unshare", "-m", "sh", "-c",
                                 f"mount --bind {resolv} /etc/resolv.conf && {BUSYBOX} wget -q -O - "
                                 f"http://web.{lab.ns}:80/", timeout=10)
        assert code == 0 and out.strip() == "p2a", out
    finally:
        await server.stop()
