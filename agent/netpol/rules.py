"""The NetworkPolicy agent's iptables rules, as a pure function of the pods' allow sets.

All in the filter table, all in chains of our own (kube-router's layout, small):

    FORWARD, INPUT -> KUBE-NWPLCY                 (the jumps, first in their chain)
    KUBE-NWPLCY     RELATED,ESTABLISHED           -> RETURN   (replies of allowed connections)
                    -s <pod>  (egress-restricted)  -> KUBE-NWPLCY-EG-<hash>
                    -d <pod>  (ingress-restricted) -> KUBE-NWPLCY-IN-<hash>
    KUBE-NWPLCY-IN-<hash>  from the node itself -> RETURN (kubelet probes)
                           one line per allowed (peer, port): -s peer -p proto --dport .. -> RETURN
                           ipBlock with excepts -> KUBE-NWPLCY-BL-<hash>, then RETURN if it marked
                           everything else -> REJECT                           (default deny)
    KUBE-NWPLCY-EG-<hash>  the same with -d (destination) matches
    KUBE-NWPLCY-BL-<hash>  -s/-d except -> RETURN; else set the "allowed" mark bit

RETURN means "allowed by us": the packet goes on through FORWARD (kube-proxy's
and anybody's rules still apply), and a packet between two restricted pods is
checked by the sender's egress chain, then the receiver's ingress chain.
Traffic the node sends to its pods passes OUTPUT only, so it is never filtered.
A Ruleset maps (table, chain) to that chain's rules, as kube-proxy's does, and
agent/proxy/rules.py's `render` makes the iptables-restore payload.
"""
from __future__ import annotations

from collections.abc import Iterable

from agent.netpol.model import ANYWHERE, Allow, Peer, PodRules, PortRange
from agent.proxy.model import chain_hash
from agent.proxy.rules import Ruleset

TABLE = "filter"
DISPATCH = "KUBE-NWPLCY"
OWNED_PREFIX = "KUBE-NWPLCY-"          # per-pod and per-block chains, created and deleted as pods come and go
ALLOWED_MARK = "0x10000"
HASH_CHARS = 12                        # KUBE-NWPLCY-IN- (15) + 12 = 27 <= iptables' 28


def _comment(text: str) -> str:
    return f'-m comment --comment "{text}"'


def pod_chain(direction: str, pod: PodRules) -> str:
    return f"{OWNED_PREFIX}{'IN' if direction == 'ingress' else 'EG'}-{chain_hash(direction, pod.key)[:HASH_CHARS]}"


def block_chain(direction: str, peer: Peer) -> str:
    return f"{OWNED_PREFIX}BL-{chain_hash(direction, peer.cidr, *peer.excepts)[:HASH_CHARS]}"


def _port_match(port: PortRange | None) -> str:
    if port is None:
        return ""
    proto = port.protocol.lower()
    if port.first is None:
        return f" -p {proto}"
    ports = str(port.first) if port.last in (None, port.first) else f"{port.first}:{port.last}"
    return f" -p {proto} -m {proto} --dport {ports}"


def _peer_match(flag: str, peer: Peer) -> str:
    return "" if peer.cidr == ANYWHERE else f" {flag} {peer.cidr}"


def _pod_chain_rules(direction: str, pod: PodRules, allows: tuple[Allow, ...]) -> tuple[list[str], Ruleset]:
    """The pod's chain, and the except chains of its ipBlocks."""
    chain, flag = pod_chain(direction, pod), "-s" if direction == "ingress" else "-d"
    rules: list[str] = []
    blocks: Ruleset = {}
    if direction == "ingress":
        rules.append(f"-A {chain} {_comment(pod.key + ' from its node')} -m addrtype --src-type LOCAL -j RETURN")
    uses_blocks = any(a.peer.excepts for a in allows)
    if uses_blocks:
        rules.append(f"-A {chain} -j MARK --set-xmark 0x0/{ALLOWED_MARK}")
    for allow in allows:
        match = _peer_match(flag, allow.peer) + _port_match(allow.port)
        if allow.peer.excepts:
            target = block_chain(direction, allow.peer)
            blocks[(TABLE, target)] = [f"-A {target} {flag} {e} -j RETURN" for e in allow.peer.excepts] + [
                f"-A {target} {_comment(allow.peer.cidr + ' except ' + ','.join(allow.peer.excepts))} "
                f"-j MARK --set-xmark {ALLOWED_MARK}/{ALLOWED_MARK}"]
        else:
            target = "RETURN"
        rules.append(f"-A {chain}{match} -j {target}")
    if uses_blocks:
        rules.append(f"-A {chain} -m mark --mark {ALLOWED_MARK}/{ALLOWED_MARK} -j RETURN")
    rules.append(f"-A {chain} {_comment(f'{pod.key} default deny {direction}')} -j REJECT")
    return rules, blocks


def build_ruleset(pods: Iterable[PodRules]) -> Ruleset:
    dispatch = [f"-A {DISPATCH} {_comment('replies of allowed connections')} "
                "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"]
    rules: Ruleset = {(TABLE, DISPATCH): dispatch}
    for pod in pods:
        for direction, allows, flag in (("egress", pod.egress, "-s"), ("ingress", pod.ingress, "-d")):
            if allows is None:
                continue
            chain = pod_chain(direction, pod)
            dispatch.append(f"-A {DISPATCH} {_comment(f'{pod.key} {direction}')} {flag} {pod.ip}/32 -j {chain}")
            rules[(TABLE, chain)], blocks = _pod_chain_rules(direction, pod, allows)
            rules.update(blocks)
    return rules
