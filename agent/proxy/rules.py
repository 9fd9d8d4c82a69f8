"""kube-proxy's iptables rules, as a pure function of the service ports (proxier.go's syncProxyRules).

    nat    PREROUTING, OUTPUT -> KUBE-SERVICES
             -d clusterIP --dport p            -> KUBE-SVC-<hash>      (one per service port)
             -m addrtype --dst-type LOCAL      -> KUBE-NODEPORTS       (last rule)
           KUBE-NODEPORTS   --dport nodePort   -> KUBE-MARK-MASQ, KUBE-SVC-<hash>
           KUBE-SVC-<hash>  statistic random 1/(n-i) -> KUBE-SEP-<hash> (one per endpoint)
           KUBE-SEP-<hash>  -s podIP -> KUBE-MARK-MASQ (hairpin); DNAT --to-destination ip:port
           KUBE-MARK-MASQ   set mark 0x4000;  POSTROUTING -> KUBE-POSTROUTING: MASQUERADE marked
    filter KUBE-SERVICES / KUBE-EXTERNAL-SERVICES: REJECT service ports that have no endpoints
           KUBE-FORWARD: drop INVALID, accept marked and established traffic

A Ruleset maps (table, chain) to that chain's complete list of rules. The
proxier writes a chain only when its rules differ from what it wrote last
(a partial sync) or always (a full sync); `render` makes the payload.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from agent.proxy.model import ServicePort

MASQ_MARK = "0x4000"
Chain = tuple[str, str]              # (table, chain name)
Ruleset = dict[Chain, list[str]]

NAT_FIXED = ("KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-MARK-MASQ", "KUBE-POSTROUTING")
FILTER_FIXED = ("KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-FORWARD")
OWNED_PREFIXES = ("KUBE-SVC-", "KUBE-SEP-")          # per-service chains we create and delete


def _comment(text: str) -> str:
    return f'-m comment --comment "{text}"'


def _match(port: ServicePort, destination: str | None, dport: int) -> str:
    dst = f"-d {destination}/32 " if destination else ""
    return f"{dst}-p {port.proto} -m {port.proto} --dport {dport}"


def fixed_chains() -> Ruleset:
    """The chains whose rules do not depend on any Service."""
    rules: Ruleset = {("nat", c): [] for c in NAT_FIXED}
    rules.update({("filter", c): [] for c in FILTER_FIXED})
    rules[("nat", "KUBE-MARK-MASQ")] = [f"-A KUBE-MARK-MASQ -j MARK --or-mark {MASQ_MARK}"]
    rules[("nat", "KUBE-POSTROUTING")] = [
        f"-A KUBE-POSTROUTING -m mark ! --mark {MASQ_MARK}/{MASQ_MARK} -j RETURN",
        f"-A KUBE-POSTROUTING -j MARK --xor-mark {MASQ_MARK}",
        f"-A KUBE-POSTROUTING {_comment('kubernetes service traffic requiring SNAT')} -j MASQUERADE --random-fully"]
    forward = ["-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP",
               f"-A KUBE-FORWARD {_comment('kubernetes forwarding rules')} -m mark --mark {MASQ_MARK}/{MASQ_MARK} "
               "-j ACCEPT",
               "-A KUBE-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"]
    rules[("filter", "KUBE-FORWARD")] = forward
    return rules


def _svc_chain_rules(port: ServicePort, cluster_cidr: str | None) -> list[str]:
    chain, rules = port.svc_chain, []
    if cluster_cidr:          # traffic from outside the pod network must come back through us
        rules.append(f"-A {chain} {_comment(port.key + ' cluster IP')} ! -s {cluster_cidr} "
                     f"{_match(port, port.cluster_ip, port.port)} -j KUBE-MARK-MASQ")
    if port.affinity_seconds is not None:
        for ep in port.endpoints:
            sep = port.sep_chain(ep)
            rules.append(f"-A {chain} {_comment(f'{port.key} -> {ep.address}')} -m recent --name {sep} "
                         f"--rcheck --seconds {port.affinity_seconds} --reap -j {sep}")
    count = len(port.endpoints)
    for i, ep in enumerate(port.endpoints):
        chance = "" if i == count - 1 else f"-m statistic --mode random --probability {1.0 / (count - i):0.10f} "
        rules.append(f"-A {chain} {_comment(f'{port.key} -> {ep.address}')} {chance}-j {port.sep_chain(ep)}")
    return rules


def _sep_chain_rules(port: ServicePort, ep_index: int) -> list[str]:
    ep = port.endpoints[ep_index]
    chain = port.sep_chain(ep)
    recent = f"-m recent --name {chain} --set " if port.affinity_seconds is not None else ""
    return [f"-A {chain} {_comment(port.key)} -s {ep.ip}/32 -j KUBE-MARK-MASQ",
            f"-A {chain} {_comment(port.key)} -p {port.proto} {recent}-m {port.proto} "
            f"-j DNAT --to-destination {ep.address}"]


@dataclass(frozen=True)
class ServicePortRules:
    """One service port's contribution: lines in the shared chains plus its own chains."""
    shared: tuple[tuple[Chain, str], ...] = ()
    own: tuple[tuple[Chain, tuple[str, ...]], ...] = field(default=())


@functools.lru_cache(maxsize=1 << 14)     # an unchanged service port costs a dict lookup, not a rebuild
def service_port_rules(port: ServicePort, cluster_cidr: str | None) -> ServicePortRules:
    if not port.endpoints:
        shared = [(("filter", "KUBE-SERVICES"),
                   f"-A KUBE-SERVICES {_comment(port.key + ' has no endpoints')} "
                   f"{_match(port, port.cluster_ip, port.port)} -j REJECT --reject-with icmp-port-unreachable")]
        if port.node_port:
            shared.append((("filter", "KUBE-EXTERNAL-SERVICES"),
                           f"-A KUBE-EXTERNAL-SERVICES {_comment(port.key + ' has no endpoints')} "
                           f"-m addrtype --dst-type LOCAL {_match(port, None, port.node_port)} "
                           "-j REJECT --reject-with icmp-port-unreachable"))
        return ServicePortRules(tuple(shared))
    shared = [(("nat", "KUBE-SERVICES"), f"-A KUBE-SERVICES {_comment(port.key + ' cluster IP')} "
                                         f"{_match(port, port.cluster_ip, port.port)} -j {port.svc_chain}")]
    if port.node_port:
        shared += [(("nat", "KUBE-NODEPORTS"), f"-A KUBE-NODEPORTS {_comment(port.key)} "
                                               f"{_match(port, None, port.node_port)} -j {target}")
                   for target in ("KUBE-MARK-MASQ", port.svc_chain)]
    own = [(("nat", port.svc_chain), tuple(_svc_chain_rules(port, cluster_cidr)))]
    own += [(("nat", port.sep_chain(ep)), tuple(_sep_chain_rules(port, i))) for i, ep in enumerate(port.endpoints)]
    return ServicePortRules(tuple(shared), tuple(own))


def build_ruleset(ports: Iterable[ServicePort], cluster_cidr: str | None = None) -> Ruleset:
    rules = fixed_chains()
    for port in ports:
        contribution = service_port_rules(port, cluster_cidr)
        for chain, line in contribution.shared:
            rules[chain].append(line)
        for chain, chain_rules in contribution.own:
            rules[chain] = list(chain_rules)
    rules[("nat", "KUBE-SERVICES")].append(
        f"-A KUBE-SERVICES {_comment('kubernetes service nodeports; NOTE: this must be the last rule in this chain')} "
        "-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS")
    return rules


def render(rules: Ruleset, write: Iterable[Chain], delete: Iterable[Chain] = ()) -> str:
    """An iptables-restore --noflush payload: (re)write the chains in `write`, delete those in
    `delete` (flushed first, removed after every rewrite so no reference is left)."""
    write, delete = set(write), set(delete)
    lines: list[str] = []
    for table in ("filter", "nat"):
        mine = [c for c in rules if c[0] == table and c in write]
        gone = sorted(c for c in delete if c[0] == table)
        if not mine and not gone:
            continue
        lines.append(f"*{table}")
        lines += [f":{name} - [0:0]" for _, name in mine + gone]
        for chain in mine:
            lines += rules[chain]
        lines += [f"-X {name}" for _, name in gone]
        lines.append("COMMIT")
    return "\n".join(lines) + "\n" if lines else ""
