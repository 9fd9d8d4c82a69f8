"""The lab's wires, over netlink (pyroute2, as agent/network does), plus one host iptables rule.

    host:   bridge mkpy-<name> with the control plane's address (192.168.56.10/24)
            blackhole routes 10.244.0.0/16 and 10.96.0.0/12 (pod and service ranges)
            FORWARD: accept frames bridged between two ports of the lab bridge
    node i: netns mkpy-<name>-node<i>; eth0 = 192.168.56.1<i>/24, the peer of veth
            mkv-<name>-<i> on the bridge; lo up; NO default route; pods masqueraded
            to the node's address when they talk to the lab network

The blackhole routes and the missing default route mean a broken rule can never
send pod or service traffic off the machine: a node only knows the lab subnet
(and, once its agent runs, cni0 and the other nodes' podCIDRs). Docker sets the
host's FORWARD policy to DROP and the bridge hands bridged frames to iptables,
so without the accept rule nodes could not reach each other.
Every function is idempotent: `lab up` twice, or after a crash, repairs.
"""
from __future__ import annotations

import errno
import ipaddress
import os
import re
import subprocess

from pyroute2 import IPRoute
from pyroute2 import netns as pynetns
from pyroute2.netlink.exceptions import NetlinkError

from minikube_py.lab.config import POD_CIDR, SERVICE_CIDR, LabConfig
from minikube_py.netns import NETNS_RUN_DIR, netns_exists, nsenter_prefix, open_iproute, open_netns_fd

RTPROT_LAB = 197            # our mark on the host's blackhole routes (agent/network uses 195, 196)
RTN_BLACKHOLE = 6


def ensure_bridge(config: LabConfig) -> None:
    with IPRoute() as ipr:
        if not ipr.link_lookup(ifname=config.bridge):
            ipr.link("add", ifname=config.bridge, kind="bridge")
        index = ipr.link_lookup(ifname=config.bridge)[0]
        have = {a.get("IFA_ADDRESS") for a in ipr.get_addr(index=index, family=2)}
        if config.control_plane_ip not in have:
            ipr.addr("add", index=index, address=config.control_plane_ip, prefixlen=24)
        ipr.link("set", index=index, state="up")


def ensure_node(config: LabConfig, i: int) -> None:
    """The node's namespace, wired to the lab bridge, with its lab address and no default route."""
    netns = config.netns(i)
    if not netns_exists(netns):
        pynetns.create(netns)
    with IPRoute() as ipr:
        if not ipr.link_lookup(ifname=config.host_veth(i)):
            peer = f"mkt-{config.name}-{i}"
            ipr.link("add", ifname=config.host_veth(i), kind="veth", peer={"ifname": peer})
            with open_netns_fd(netns) as fd:
                ipr.link("set", index=ipr.link_lookup(ifname=peer)[0], net_ns_fd=fd)
            with open_iproute(netns) as inner:
                inner.link("set", index=inner.link_lookup(ifname=peer)[0], ifname="eth0")
        host_end = ipr.link_lookup(ifname=config.host_veth(i))[0]
        ipr.link("set", index=host_end, master=ipr.link_lookup(ifname=config.bridge)[0], state="up")
    with open_iproute(netns) as inner:
        eth0 = inner.link_lookup(ifname="eth0")[0]
        if config.node_ip(i) not in {a.get("IFA_ADDRESS") for a in inner.get_addr(index=eth0, family=2)}:
            inner.addr("add", index=eth0, address=config.node_ip(i), prefixlen=24)
        inner.link("set", index=eth0, state="up")
        inner.link("set", index=inner.link_lookup(ifname="lo")[0], state="up")


def ensure_blackholes() -> None:
    """Blackhole the pod and service ranges on the host (shared by every lab on this host)."""
    with IPRoute() as ipr:
        for cidr in (POD_CIDR, SERVICE_CIDR):
            net = ipaddress.ip_network(cidr)
            ipr.route("replace", dst=str(net.network_address), dst_len=net.prefixlen, type=RTN_BLACKHOLE,
                      proto=RTPROT_LAB)


def remove_blackholes() -> None:
    with IPRoute() as ipr:
        for route in ipr.get_routes(family=2, table=254):
            if route["proto"] == RTPROT_LAB and route["type"] == RTN_BLACKHOLE:
                ipr.route("del", dst=route.get_attr("RTA_DST"), dst_len=route["dst_len"], type=RTN_BLACKHOLE,
                          proto=RTPROT_LAB)


def blackholes() -> list[str]:
    with IPRoute() as ipr:
        return [f"{r.get_attr('RTA_DST')}/{r['dst_len']}" for r in ipr.get_routes(family=2, table=254)
                if r["proto"] == RTPROT_LAB and r["type"] == RTN_BLACKHOLE]


# ---- the host's FORWARD rule (iptables, the same binary Docker uses) ---------------------

def _forward_rule(config: LabConfig) -> list[str]:
    return ["FORWARD", "-i", config.bridge, "-o", config.bridge,
            "-m", "comment", "--comment", f"minikube-py lab {config.name}", "-j", "ACCEPT"]


def _iptables(action: str, rule: list[str]) -> bool:
    return subprocess.run(["iptables", "-w", action, *rule], capture_output=True).returncode == 0


def ensure_forward_rule(config: LabConfig) -> None:
    if not _iptables("-C", _forward_rule(config)):
        rule = _forward_rule(config)
        if not _iptables("-I", [rule[0], "1", *rule[1:]]):
            raise RuntimeError(f"iptables -I {' '.join(rule)} failed")


def masquerade_rule() -> list[str]:
    """The nat rule of ensure_pod_masquerade (the Vagrant lab installs it in each VM too)."""
    return ["-t", "nat", "POSTROUTING", "-s", POD_CIDR, "!", "-d", POD_CIDR, "-m", "comment", "--comment",
            "minikube-py lab: pods to the lab network (CNI ipMasq)", "-j", "MASQUERADE"]


def ensure_pod_masquerade(config: LabConfig, i: int) -> None:
    """In node i: pods talking to the lab network (the API server at .10, another node's
    NodePort) leave with the node's address — the CNI bridge plugin's ipMasq. The host
    has no route back to pod IPs (only the blackhole), so without it `kubernetes.default`
    would not answer pods."""
    rule = masquerade_rule()
    nsenter = [*nsenter_prefix(config.netns(i)), "iptables", "-w"]
    check = subprocess.run([*nsenter, rule[0], rule[1], "-C", *rule[2:]], capture_output=True)
    if check.returncode != 0:
        subprocess.run([*nsenter, rule[0], rule[1], "-A", *rule[2:]], check=True, capture_output=True)


def remove_forward_rule(config: LabConfig) -> None:
    while _iptables("-D", _forward_rule(config)):
        pass


def forward_rule_present(config: LabConfig) -> bool:
    return _iptables("-C", _forward_rule(config))


# ---- teardown --------------------------------------------------------------------------------

def node_namespaces(config: LabConfig) -> set[int]:
    """Indexes of this lab's node namespaces that exist (found by name, for `down` without state)."""
    pattern = re.compile(rf"^{re.escape(config.netns(0)[:-1])}(\d+)$")
    names = os.listdir(NETNS_RUN_DIR) if os.path.isdir(NETNS_RUN_DIR) else []
    return {int(m.group(1)) for m in map(pattern.match, names) if m}


def remove_node(config: LabConfig, i: int) -> None:
    """Removing the namespace removes eth0, hence its veth peer, and every rule and route inside."""
    if netns_exists(config.netns(i)):
        pynetns.remove(config.netns(i))
    with IPRoute() as ipr:
        for name in (config.host_veth(i), f"mkt-{config.name}-{i}"):
            for index in ipr.link_lookup(ifname=name):
                _delete_link(ipr, index)


def _delete_link(ipr: IPRoute, index: int) -> None:
    """Delete a link; one that vanished meanwhile (its peer's namespace just went) is fine."""
    try:
        ipr.link("del", index=index)
    except NetlinkError as e:
        if e.code != errno.ENODEV:
            raise


def remove_bridge(config: LabConfig) -> None:
    with IPRoute() as ipr:
        for index in ipr.link_lookup(ifname=config.bridge):
            _delete_link(ipr, index)


def bridge_exists(config: LabConfig) -> bool:
    with IPRoute() as ipr:
        return bool(ipr.link_lookup(ifname=config.bridge))
