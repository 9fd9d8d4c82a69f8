"""Names and addresses of one lab: a pure function of (name, node count, subnet).

Every name the lab gives to something on the host (bridge, namespaces, veths,
node names, the state dir) contains the lab's name, so two labs with different
names and subnets never touch each other's things, and `lab down` can find
everything again from the name alone.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_NAME = "lab"
DEFAULT_SUBNET = "192.168.56.0/24"
STATE_ROOT = Path("/var/lib/minikube-py/lab")
POD_CIDR = "10.244.0.0/16"
SERVICE_CIDR = "10.96.0.0/12"
CLUSTER_DNS_IP = "10.96.0.10"
API_PORT = 6443
ETCD_PORT = 2379
MAX_NODES = 20
# A dead node loses its pods sooner than in Kubernetes (40 s to notice, then 300 s of
# tolerated NotReady/Unreachable), so `lab stop NODE` shows the eviction within a minute.
NODE_MONITOR_GRACE_SECONDS = 30
DEAD_NODE_TOLERATION_SECONDS = 30
_NAME = re.compile(r"^[a-z][a-z0-9]{0,7}$")     # interface names have 15 characters at most


@dataclass(frozen=True)
class LabConfig:
    name: str = DEFAULT_NAME
    nodes: int = 3
    subnet: str = DEFAULT_SUBNET
    state_root: Path = STATE_ROOT

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"lab name {self.name!r}: 1-8 lowercase letters/digits, starting with a letter")
        if not 1 <= self.nodes <= MAX_NODES:
            raise ValueError(f"--nodes must be 1..{MAX_NODES}")
        if ipaddress.ip_network(self.subnet).prefixlen != 24:
            raise ValueError("the lab subnet must be a /24, like 192.168.56.0/24")

    # ---- addresses -----------------------------------------------------------------------
    def address(self, host: int) -> str:
        return str(ipaddress.ip_network(self.subnet)[host])

    @property
    def control_plane_ip(self) -> str:
        return self.address(10)

    def node_ip(self, i: int) -> str:
        return self.address(10 + i)

    @property
    def api_url(self) -> str:
        return f"http://{self.control_plane_ip}:{API_PORT}"

    @property
    def etcd_url(self) -> str:
        return f"http://{self.control_plane_ip}:{ETCD_PORT}"

    # ---- names ---------------------------------------------------------------------------
    @property
    def bridge(self) -> str:
        return f"mkpy-{self.name}"

    def node_name(self, i: int) -> str:
        return f"{self.name}-node{i}"

    def netns(self, i: int) -> str:
        return f"mkpy-{self.name}-node{i}"

    def host_veth(self, i: int) -> str:
        return f"mkv-{self.name}-{i}"

    def node_indexes(self) -> range:
        return range(1, self.nodes + 1)

    def node_index(self, node: str) -> int:
        """'lab-node2', 'node2' or '2' -> 2."""
        tail = node.rsplit("node", 1)[-1]
        if not tail.isdigit() or int(tail) not in self.node_indexes():
            raise ValueError(f"no node {node!r} in lab {self.name} (nodes: "
                             f"{', '.join(self.node_name(i) for i in self.node_indexes())})")
        return int(tail)

    @property
    def state_dir(self) -> Path:
        return self.state_root / self.name
