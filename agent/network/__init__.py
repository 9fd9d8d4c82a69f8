"""The pod network: what a CNI bridge plugin, host-local IPAM and flannel's host-gw do.

    ipam.py         host-local IPAM: one file per allocated IP, under the agent's state dir
    bridge.py       per node: the cni0 bridge, sysctls, FORWARD accept (CNI-FORWARD)
    veth.py         per pod: a veth pair, eth0 in the sandbox, the host end on cni0
    routes.py       host-gw: a route to every other node's podCIDR via its InternalIP
    resolv.py       the pod's /etc/resolv.conf for dnsPolicy ClusterFirst
    pod_network.py  the kubelet's entry point: setup_pod / teardown_pod
    node_sync.py    watch Node objects: configure cni0 when spec.podCIDR appears, keep routes

Namespaces are entered through minikube_py/netns.py (CNI's ns.Do; the lab uses it too).
Netlink goes through pyroute2 only (never the `ip` command); iptables through
`iptables-restore --noflush` (agent/proxy/iptables.py).
"""
from agent.network.pod_network import NetworkNotReady, PodNetwork, PodNetworkStatus

__all__ = ["NetworkNotReady", "PodNetwork", "PodNetworkStatus"]
