"""What the NetworkPolicies mean for each local pod: its ingress and egress allow sets.

A pure function of the policies, pods and namespaces, with Kubernetes'
semantics (the NetworkPolicy API reference, and what kube-router's and
Calico's agents compute):

- a pod selected by no policy of a type (Ingress, Egress) is unrestricted for
  that type (`None` here); a selected pod may send/receive only what the union
  of the rules of the policies selecting it allows (an empty set: default deny);
- a rule allows any of its peers on any of its ports; no peers means every
  address, no ports every port;
- a peer is podSelector (pods of the policy's namespace), namespaceSelector
  (every pod of the namespaces it picks), both (pods picked by the one, in
  namespaces picked by the other), or an ipBlock (cidr minus its excepts);
- a named port is resolved against the *destination* pod's containerPorts
  (name and protocol): for ingress that is the local pod itself, for egress
  each destination pod (an ipBlock or "anyone" destination then stands for the
  pods inside it that have the port); an unresolved name allows nothing;
- `endPort` makes the port a range.
Only pods with an (IPv4) IP and not on the host network take part; pods that
have finished (Succeeded, Failed) neither are restricted nor count as peers;
IPv6 ipBlocks are ignored (the pod network is IPv4, the rules are iptables').
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from minikube_py.api.selectors import NOTHING, LabelSelector, SelectorError, label_selector_from_dict

Obj = dict[str, Any]
ANYWHERE = "0.0.0.0/0"


class Peer(NamedTuple):           # NamedTuples: hashed and compared in C, thousands per sync
    """An address range: a pod (ip/32), an ipBlock (cidr minus excepts) or ANYWHERE."""
    cidr: str
    excepts: tuple[str, ...] = ()


class PortRange(NamedTuple):
    """Protocol plus destination ports first..last; first None means every port of the protocol."""
    protocol: str
    first: int | None = None
    last: int | None = None


class Peers(tuple):
    """A rule's peers, sorted: a tuple that hashes once (hundreds of peers, looked up per pod)."""
    _hash: int

    def __hash__(self) -> int:
        try:
            return self._hash
        except AttributeError:
            self._hash = tuple.__hash__(self)
            return self._hash


class Allow(NamedTuple):
    """What one rule allows on one port range: any of its peers (sorted); port None: every port.
    A rule's peers stay together, so the rules written are O(pods x ports + peers), not their product."""
    peers: tuple[Peer, ...]
    port: PortRange | None = None


@dataclass(frozen=True)
class PodRules:
    """A local pod's allow sets; None means "selected by no policy of that type": unrestricted."""
    namespace: str
    name: str
    ip: str
    ingress: tuple[Allow, ...] | None
    egress: tuple[Allow, ...] | None

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, eq=False)         # identity: one per pod per sync
class PodInfo:
    namespace: str
    name: str
    ip: str
    labels: Mapping[str, str]
    ports: Mapping[tuple[str, str], int]          # (port name, protocol) -> containerPort


def pod_info(pod: Obj) -> PodInfo | None:
    """The parts of a pod that policies look at, or None if it takes no part (no IP, host network,
    finished)."""
    spec, status, meta = pod.get("spec") or {}, pod.get("status") or {}, pod.get("metadata") or {}
    ip = status.get("podIP")
    if not ip or spec.get("hostNetwork") or status.get("phase") in ("Succeeded", "Failed") or not _is_ipv4(ip):
        return None
    ports = {(p["name"], p.get("protocol") or "TCP"): int(p["containerPort"])
             for container in spec.get("containers") or [] for p in container.get("ports") or []
             if p.get("name") and p.get("containerPort")}
    return PodInfo(meta.get("namespace", "default"), meta["name"], ip, meta.get("labels") or {}, ports)


def _is_ipv4(address_or_cidr: str) -> bool:
    """The pod network is IPv4 and the agent programs iptables, not ip6tables: IPv6 takes no part."""
    try:
        return ipaddress.ip_network(address_or_cidr, strict=False).version == 4
    except ValueError:
        return False


def parse_selector(selector: Any) -> LabelSelector:
    try:
        return label_selector_from_dict(selector)
    except SelectorError:           # the API server validated it; a bad one selects nothing
        return NOTHING


@dataclass
class Cluster:
    """The pods (that take part) and the namespaces' labels."""
    pods: list[PodInfo]
    namespace_labels: dict[str, Mapping[str, str]]

    def __post_init__(self) -> None:
        self.by_namespace: dict[str, list[PodInfo]] = {}
        for pod in self.pods:
            self.by_namespace.setdefault(pod.namespace, []).append(pod)

    @classmethod
    def of(cls, pods: Iterable[Obj], namespaces: Iterable[Obj]) -> Cluster:
        infos = [info for info in map(pod_info, pods) if info is not None]
        labels = {ns["metadata"]["name"]: ns["metadata"].get("labels") or {} for ns in namespaces}
        return cls(sorted(infos, key=lambda p: (p.namespace, p.name)), labels)

    def peer_pods(self, peer: Obj, policy_namespace: str) -> list[PodInfo]:
        if peer.get("namespaceSelector") is None:
            namespaces = {policy_namespace}
        else:
            selector = parse_selector(peer["namespaceSelector"])
            namespaces = {ns for ns, labels in self.namespace_labels.items() if selector.matches(labels)}
        in_namespaces = [p for ns in sorted(namespaces) for p in self.by_namespace.get(ns, [])]
        if peer.get("podSelector") is None:
            return in_namespaces
        pod_selector = parse_selector(peer["podSelector"])
        return [p for p in in_namespaces if pod_selector.matches(p.labels)]


def _pods_in_block(pods: list[PodInfo], peer: Peer) -> list[PodInfo]:
    network = ipaddress.ip_network(peer.cidr)
    excepts = [ipaddress.ip_network(e) for e in peer.excepts]
    inside = []
    for pod in pods:
        address = ipaddress.ip_address(pod.ip)
        if address.version == network.version and address in network and not any(address in e for e in excepts):
            inside.append(pod)
    return inside


def _rule_peers(rule: Obj, peers_field: str, cluster: Cluster, policy_namespace: str
                ) -> list[tuple[Peer, list[PodInfo]]]:
    """Each peer of a rule as an address range, with the pods it stands for (needed for egress
    named ports only: otherwise an ipBlock's or anyone's pods are not looked up)."""
    peers = rule.get(peers_field) or []
    named_ports = peers_field == "to" and any(isinstance(p.get("port"), str) for p in rule.get("ports") or [])
    if not peers:
        return [(Peer(ANYWHERE), cluster.pods if named_ports else [])]
    found: list[tuple[Peer, list[PodInfo]]] = []
    for peer in peers:
        block = peer.get("ipBlock")
        if block is not None:
            if not _is_ipv4(block["cidr"]):
                continue
            as_peer = Peer(block["cidr"], tuple(block.get("except") or ()))
            found.append((as_peer, _pods_in_block(cluster.pods, as_peer) if named_ports else []))
        else:
            found += [(Peer(f"{p.ip}/32"), [p]) for p in cluster.peer_pods(peer, policy_namespace)]
    return found


def resolve_port(port: Obj, destination: PodInfo | None) -> PortRange | None:
    """A NetworkPolicyPort as a range; a named port needs the destination pod (None: unresolved)."""
    protocol, number = port.get("protocol") or "TCP", port.get("port")
    if number is None:
        return PortRange(protocol)
    if isinstance(number, str):
        resolved = destination.ports.get((number, protocol)) if destination else None
        return PortRange(protocol, resolved, resolved) if resolved is not None else None
    return PortRange(protocol, int(number), int(port.get("endPort") or number))


PeerSet = list[tuple[Peer, list[PodInfo]]]


def _peer_set(peers: Iterable[Peer]) -> Peers:
    return Peers(sorted(set(peers)))


def ingress_allows(rule: Obj, peer_set: tuple[Peer, ...], pod: PodInfo) -> set[Allow]:
    """An ingress rule for one local pod: named ports are the pod's own."""
    ports = rule.get("ports") or []
    if not peer_set:
        return set()
    if not ports:
        return {Allow(peer_set)}
    return {Allow(peer_set, r) for r in (resolve_port(p, pod) for p in ports) if r is not None}


def egress_allows(rule: Obj, peers: PeerSet) -> set[Allow]:
    """An egress rule: a named port is each destination pod's, so its destinations are grouped by number."""
    ports, peer_set = rule.get("ports") or [], _peer_set(peer for peer, _ in peers)
    if not peer_set:
        return set()
    if not ports:
        return {Allow(peer_set)}
    allows: set[Allow] = set()
    for port in ports:
        if not isinstance(port.get("port"), str):
            allows.add(Allow(peer_set, resolve_port(port, None)))
            continue
        by_number: dict[PortRange, set[Peer]] = {}
        for destination in {pod for _, pods in peers for pod in pods}:
            resolved = resolve_port(port, destination)
            if resolved is not None:
                by_number.setdefault(resolved, set()).add(Peer(f"{destination.ip}/32"))
        allows |= {Allow(_peer_set(ips), number) for number, ips in by_number.items()}
    return allows


def _types(policy: Obj) -> list[str]:
    return (policy.get("spec") or {}).get("policyTypes") or ["Ingress"]


class _Rules:
    """The rules of one direction of one policy, their peers resolved once for every local pod."""

    def __init__(self, policy: Obj, direction: str, cluster: Cluster) -> None:
        spec, namespace = policy.get("spec") or {}, policy["metadata"].get("namespace", "default")
        self.pod_selector = parse_selector(spec.get("podSelector") or {})
        peers_field = "from" if direction == "ingress" else "to"
        self.rules = [(rule, _rule_peers(rule, peers_field, cluster, namespace))
                      for rule in spec.get(direction) or []]
        self.peer_sets = [_peer_set(peer for peer, _ in peers) for _, peers in self.rules]
        self._egress: set[Allow] | None = None

    def ingress(self, pod: PodInfo) -> set[Allow]:
        return {a for (rule, _), peer_set in zip(self.rules, self.peer_sets, strict=True)
                for a in ingress_allows(rule, peer_set, pod)}

    def egress(self) -> set[Allow]:
        """The same for every local pod: computed once."""
        if self._egress is None:
            self._egress = {a for rule, peers in self.rules for a in egress_allows(rule, peers)}
        return self._egress


def compute(policies: Iterable[Obj], cluster: Cluster, node_pods: Iterable[PodInfo]) -> list[PodRules]:
    """The allow sets of every given (local) pod, sorted by pod."""
    by_namespace: dict[str, list[Obj]] = {}
    for policy in policies:
        by_namespace.setdefault(policy["metadata"].get("namespace", "default"), []).append(policy)
    resolved: dict[tuple[int, str], _Rules] = {}

    def rules_of(policy: Obj, direction: str) -> _Rules:
        key = (id(policy), direction)
        if key not in resolved:
            resolved[key] = _Rules(policy, direction, cluster)
        return resolved[key]

    result = []
    for pod in sorted(node_pods, key=lambda p: (p.namespace, p.name)):
        ingress: set[Allow] | None = None
        egress: set[Allow] | None = None
        for policy in by_namespace.get(pod.namespace, []):
            if not rules_of(policy, "ingress").pod_selector.matches(pod.labels):
                continue
            if "Ingress" in _types(policy):
                ingress = ingress if ingress is not None else set()
                ingress |= rules_of(policy, "ingress").ingress(pod)
            if "Egress" in _types(policy):
                egress = egress if egress is not None else set()
                egress |= rules_of(policy, "egress").egress()
        result.append(PodRules(pod.namespace, pod.name, pod.ip,
                               None if ingress is None else _ordered(ingress),
                               None if egress is None else _ordered(egress)))
    return result


def _ordered(allows: set[Allow]) -> tuple[Allow, ...]:
    """A stable order (the same rules in the same order every sync: unchanged chains stay unwritten)."""
    def key(allow: Allow) -> tuple:
        port = allow.port or PortRange("")
        return allow.peers, allow.port is not None, port.protocol, port.first or 0, port.last or 0
    return tuple(sorted(allows, key=key))
