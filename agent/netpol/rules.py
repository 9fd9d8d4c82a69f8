"""The NetworkPolicy agent's iptables rules, as a pure function of the pods' allow sets.

All in the filter table, all in chains of our own (kube-router's layout, small):

    FORWARD, INPUT -> KUBE-NWPLCY                 (the jumps, first in their chain)
    KUBE-NWPLCY     RELATED,ESTABLISHED           -> RETURN   (replies of allowed connections)
                    -s <pod>  (egress-restricted)  -> KUBE-NWPLCY-EG-<hash>
                    -d <pod>  (ingress-restricted) -> KUBE-NWPLCY-IN-<hash>
    KUBE-NWPLCY-IN-<hash>  from the node itself -> RETURN (kubelet probes)
                           a rule open to anyone: -p proto --dport .. -> RETURN
                           a rule's peers, per port: -p proto --dport .. -> KUBE-NWPLCY-PS-<hash>,
                           then RETURN if the "allowed" mark bit got set
                           everything else -> REJECT                           (default deny)
    KUBE-NWPLCY-EG-<hash>  the same with -d (destination) matches
    KUBE-NWPLCY-PS-<hash>  one peer set (named by its content, shared by every pod with it):
                           -s/-d peer -> set the "allowed" bit; an ipBlock with excepts ->
    KUBE-NWPLCY-BL-<hash>  -s/-d except -> RETURN; else set the "allowed" bit

RETURN means "allowed by us": the packet goes on through FORWARD (kube-proxy's
and anybody's rules still apply), and a packet between two restricted pods is
checked by the sender's egress chain, then the receiver's ingress chain.
Traffic the node sends to its pods passes OUTPUT only, so it is never filtered.
A Ruleset maps (table, chain) to that chain's rules, as kube-proxy's does, and
agent/proxy/rules.py's `render` makes the iptables-restore payload.
"""
from __future__ import annotations

import functools
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


@functools.lru_cache(maxsize=1 << 12)      # many pods share a peer set: name and rules made once
def peers_chain(direction: str, peers: tuple[Peer, ...]) -> str:
    """Named after its content: pods whose rules have the same peers share one chain."""
    parts = (part for peer in peers for part in (peer.cidr, *peer.excepts, ";"))
    return f"{OWNED_PREFIX}PS-{chain_hash(direction, *parts)[:HASH_CHARS]}"


def _port_match(port: PortRange | None) -> str:
    if port is None:
        return ""
    proto = port.protocol.lower()
    if port.first is None:
        return f" -p {proto}"
    ports = str(port.first) if port.last in (None, port.first) else f"{port.first}:{port.last}"
    return f" -p {proto} -m {proto} --dport {ports}"


MARK_ALLOWED = f"-j MARK --set-xmark {ALLOWED_MARK}/{ALLOWED_MARK}"


@functools.lru_cache(maxsize=1 << 12)
def _peers_chains(direction: str, peers: tuple[Peer, ...]) -> Ruleset:
    """A peer set's chain (sets the "allowed" bit for any of its peers) and its ipBlocks' except chains."""
    flag, chain = ("-s" if direction == "ingress" else "-d"), peers_chain(direction, peers)
    rules: Ruleset = {}
    lines = []
    for peer in peers:
        match = "" if peer.cidr == ANYWHERE else f" {flag} {peer.cidr}"
        if not peer.excepts:
            lines.append(f"-A {chain}{match} {MARK_ALLOWED}")
            continue
        block = block_chain(direction, peer)
        rules[(TABLE, block)] = [f"-A {block} {flag} {e} -j RETURN" for e in peer.excepts] + [
            f"-A {block} {_comment(peer.cidr + ' except ' + ','.join(peer.excepts))} {MARK_ALLOWED}"]
        lines.append(f"-A {chain}{match} -j {block}")
    rules[(TABLE, chain)] = lines
    return rules          # shared by the cache: callers copy from it, never change it


def _pod_chain_rules(direction: str, pod: PodRules, allows: tuple[Allow, ...]) -> tuple[list[str], Ruleset]:
    """The pod's chain, and the peer-set chains it jumps to."""
    chain = pod_chain(direction, pod)
    rules: list[str] = []
    others: Ruleset = {}
    if direction == "ingress":
        rules.append(f"-A {chain} {_comment(pod.key + ' from its node')} -m addrtype --src-type LOCAL -j RETURN")
    anywhere = [a for a in allows if a.peers == (Peer(ANYWHERE),)]
    by_peers = [a for a in allows if a.peers != (Peer(ANYWHERE),)]
    rules += [f"-A {chain}{_port_match(a.port)} -j RETURN" for a in anywhere]
    if by_peers:
        rules.append(f"-A {chain} -j MARK --set-xmark 0x0/{ALLOWED_MARK}")
        for allow in by_peers:
            rules.append(f"-A {chain}{_port_match(allow.port)} -j {peers_chain(direction, allow.peers)}")
            others.update(_peers_chains(direction, allow.peers))
        rules.append(f"-A {chain} -m mark --mark {ALLOWED_MARK}/{ALLOWED_MARK} -j RETURN")
    rules.append(f"-A {chain} {_comment(f'{pod.key} default deny {direction}')} -j REJECT")
    return rules, others


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
            rules[(TABLE, chain)], shared = _pod_chain_rules(direction, pod, allows)
            rules.update(shared)
    return rules
