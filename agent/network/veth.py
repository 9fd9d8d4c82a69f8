"""Per pod: a veth pair, as CNI's bridge plugin wires a sandbox to the node.

    sandbox netns                     node netns
    eth0 10.244.1.5/24  <== veth ==>  vethXXXXXXXX --master--> cni0 10.244.1.1/24
    default via 10.244.1.1                          (hairpin on)

Both ends are created in the node's namespace, then one is moved into the
sandbox's namespace (by an fd on /proc/<pid>/ns/net) and renamed eth0. The pod
MAC is derived from its IP so a reused IP never meets a stale ARP entry, and
the host end gets hairpin mode, so a pod whose Service traffic is DNATed back
to itself gets its packet back out of the same bridge port. The pyroute2 call
for that is `brport("set", mode=1)`: the `hairpin_mode` keyword is silently
ignored.
"""
from __future__ import annotations

import hashlib
import os

from agent.network.bridge import BRIDGE_NAME, mac_from_ip
from minikube_py.netns import open_iproute

POD_IFNAME = "eth0"


def host_veth_name(pod_uid: str) -> str:
    """A stable name for the node end (<= 15 chars), so teardown needs no bookkeeping."""
    return "veth" + hashlib.sha256(pod_uid.encode()).hexdigest()[:8]


def _temporary_peer_name(pod_uid: str) -> str:
    return "mkp" + hashlib.sha256(pod_uid.encode()).hexdigest()[:8]


def add_pod_interface(node_netns: str | None, sandbox_path: str, pod_uid: str, ip: str, prefixlen: int,
                      gateway: str, bridge: str = BRIDGE_NAME) -> str:
    """Create the pair, configure eth0 in the sandbox, attach the host end; returns the pod MAC."""
    host_name, peer_name = host_veth_name(pod_uid), _temporary_peer_name(pod_uid)
    remove_pod_interface(node_netns, pod_uid)          # a retried setup starts clean
    with open_iproute(node_netns) as ipr:
        ipr.link("add", ifname=host_name, kind="veth", peer={"ifname": peer_name})
        peer_index = ipr.link_lookup(ifname=peer_name)[0]
        sandbox_fd = os.open(sandbox_path, os.O_RDONLY)
        try:
            ipr.link("set", index=peer_index, net_ns_fd=sandbox_fd)
        finally:
            os.close(sandbox_fd)
    mac = mac_from_ip(ip)
    _configure_pod_side(sandbox_path, peer_name, ip, prefixlen, gateway, mac)
    _attach_host_side(node_netns, host_name, bridge)
    return mac


def _configure_pod_side(sandbox_path: str, peer_name: str, ip: str, prefixlen: int, gateway: str,
                        mac: str) -> None:
    with open_iproute(sandbox_path) as ipr:
        index = ipr.link_lookup(ifname=peer_name)[0]
        ipr.link("set", index=index, ifname=POD_IFNAME, address=mac)
        ipr.addr("add", index=index, address=ip, prefixlen=prefixlen)
        ipr.link("set", index=index, state="up")
        for lo in ipr.link_lookup(ifname="lo"):
            ipr.link("set", index=lo, state="up")
        ipr.route("add", dst="0.0.0.0/0", gateway=gateway, oif=index)


def _attach_host_side(node_netns: str | None, host_name: str, bridge: str) -> None:
    with open_iproute(node_netns) as ipr:
        index = ipr.link_lookup(ifname=host_name)[0]
        ipr.link("set", index=index, master=ipr.link_lookup(ifname=bridge)[0], state="up")
        ipr.brport("set", index=index, mode=1)        # hairpin: mode=1, not hairpin_mode=1


def remove_pod_interface(node_netns: str | None, pod_uid: str) -> bool:
    """Delete the host end (the kernel deletes its peer); False if there was nothing to delete."""
    with open_iproute(node_netns) as ipr:
        found = ipr.link_lookup(ifname=host_veth_name(pod_uid))
        if not found:
            return False
        ipr.link("del", index=found[0])
        return True

