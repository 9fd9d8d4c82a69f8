"""Per node: the `cni0` bridge every pod's veth hangs off, as CNI's bridge plugin makes it.

- cni0 gets the first address of the node's podCIDR (the pods' default gateway)
  and a fixed MAC derived from that address: if the bridge took the MAC of
  whichever port joined first, the gateway's MAC would change under the pods.
- net.ipv4.ip_forward=1 (the node routes between pods, nodes and services) and
  net.bridge.bridge-nf-call-iptables=1 (bridged pod-to-pod frames still cross
  iptables, so kube-proxy's DNAT sees them); set per namespace, explicitly.
- Docker sets the FORWARD policy to DROP; a CNI-FORWARD chain (the name CNI's
  firewall plugin uses) accepts the cluster's pod CIDR both ways.
- The service CIDR is routed to cni0. A ClusterIP with endpoints is DNATed
  before routing and never uses this route; one *without* endpoints must be
  routable for the packet to reach kube-proxy's REJECT in FORWARD/OUTPUT
  (real nodes use their default route; lab nodes have none), and whatever
  slips through stays on the node's own bridge instead of leaving the machine.
"""
from __future__ import annotations

import ipaddress
import logging

from agent.network.ipam import gateway_of
from agent.proxy import iptables
from minikube_py.netns import open_iproute, write_sysctl

log = logging.getLogger("agent.network.bridge")

BRIDGE_NAME = "cni0"
FORWARD_CHAIN = "CNI-FORWARD"
SERVICE_CIDR = "10.96.0.0/12"
RTPROT_SERVICE_ROUTE = 196      # our mark on the service CIDR route (host-gw uses 195)
SYSCTLS = {"net.ipv4.ip_forward": "1", "net.bridge.bridge-nf-call-iptables": "1"}


def mac_from_ip(ip: str) -> str:
    """0a:58:<ip bytes>, as the CNI plugins derive a pod's (and bridge's) MAC from its IPv4 address."""
    return "0a:58:" + ":".join(f"{b:02x}" for b in ipaddress.IPv4Address(ip).packed)


def ensure_bridge(netns: str | None, pod_cidr: str, name: str = BRIDGE_NAME) -> int:
    """Make cni0 exist, up, with exactly the gateway address of `pod_cidr`; return its ifindex."""
    gateway = gateway_of(pod_cidr)
    prefix = ipaddress.ip_network(pod_cidr).prefixlen
    with open_iproute(netns) as ipr:
        found = ipr.link_lookup(ifname=name)
        if not found:
            ipr.link("add", ifname=name, kind="bridge", address=mac_from_ip(gateway))
            found = ipr.link_lookup(ifname=name)
        index = found[0]
        ipr.link("set", index=index, address=mac_from_ip(gateway), state="up")
        _keep_only_address(ipr, index, gateway, prefix)
    return index


def _keep_only_address(ipr, index: int, address: str, prefix: int) -> None:
    """The podCIDR may have changed (node re-registered): drop stale IPv4 addresses, add ours."""
    present = {(a.get("IFA_ADDRESS"), a["prefixlen"]) for a in ipr.get_addr(index=index, family=2)}
    for old_address, old_prefix in present - {(address, prefix)}:
        ipr.addr("del", index=index, address=old_address, prefixlen=old_prefix)
    if (address, prefix) not in present:
        ipr.addr("add", index=index, address=address, prefixlen=prefix)


def ensure_service_route(netns: str | None, service_cidr: str, bridge_index: int) -> None:
    with open_iproute(netns) as ipr:
        ipr.route("replace", dst=service_cidr, oif=bridge_index, scope=253, proto=RTPROT_SERVICE_ROUTE)


def set_node_sysctls(netns: str | None) -> None:
    for key, value in SYSCTLS.items():
        try:
            write_sysctl(netns, key, value)
        except FileNotFoundError:       # net.bridge.* exists only once br_netfilter is loaded
            log.warning("sysctl %s is missing (load the br_netfilter module): Services between pods "
                        "on one node will not work", key)


def ensure_forward_accept(netns: str | None, cluster_cidr: str) -> None:
    """FORWARD -> CNI-FORWARD, which accepts traffic from and to the cluster's pod network."""
    iptables.ensure_chain_and_jump(netns, iptables.Jump("filter", "FORWARD", FORWARD_CHAIN,
                                                        "CNI firewall plugin rules"))
    iptables.restore(netns, "\n".join([
        "*filter",
        f":{FORWARD_CHAIN} - [0:0]",
        f"-A {FORWARD_CHAIN} -s {cluster_cidr} -m comment --comment \"pod network out\" -j ACCEPT",
        f"-A {FORWARD_CHAIN} -d {cluster_cidr} -m comment --comment \"pod network in\" -j ACCEPT",
        "COMMIT", ""]))


def configure_node(netns: str | None, pod_cidr: str, cluster_cidr: str, service_cidr: str = SERVICE_CIDR) -> int:
    """Everything a node needs before its first pod (idempotent; run from a worker thread)."""
    index = ensure_bridge(netns, pod_cidr)
    ensure_service_route(netns, service_cidr, index)
    set_node_sysctls(netns)
    ensure_forward_accept(netns, cluster_cidr)
    return index
