"""NetworkPolicy agent benchmark: compute + full and one-pod partial syncs of N policies x M pods.

    sudo .venv/bin/python -m bench.netpol_bench [--policies 100] [--pods 1000] [--rounds 5]   (from the checkout)

Runs as root in a private network namespace (created here, removed at the end),
so the host's rules are never touched. The controller is fed from in-memory
objects (proxy_bench's StaticInformer) instead of informers; everything else is
the real code path (allow sets, ruleset, payload, iptables-restore --noflush,
jumps first in FORWARD/INPUT, stale chain listing).

The cluster: M pods over 10 namespaces, all on the benchmarked node (the worst
case: every pod gets chains), 20 apps; N policies, each selecting one app of
one namespace, allowing ingress from two other apps (podSelector) and from one
namespace (namespaceSelector) on a numeric and a named port, plus every tenth
an egress rule to an ipBlock with an except.

- compute: policies + pods -> allow sets -> ruleset (pure Python, no iptables)
- full sync: NetworkPolicyController.sync(full=True)
- one-pod partial: one pod's labels change, sync(full=False)
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from typing import Any, cast

from pyroute2 import netns as pynetns

from agent.netpol.controller import NetworkPolicyController
from bench.proxy_bench import StaticInformer
from minikube_py.client.informer import SharedInformer

NAMESPACES, APPS, NODE = 10, 20, "bench-node"


def pod(i: int, app: int | None = None) -> dict[str, Any]:
    return {"metadata": {"name": f"pod-{i}", "namespace": f"ns-{i % NAMESPACES}",
                         "labels": {"app": f"app-{i % APPS if app is None else app}"}},
            "spec": {"nodeName": NODE, "containers": [{"name": "c", "ports": [
                {"name": "http", "containerPort": 8080}]}]},
            "status": {"phase": "Running", "podIP": f"10.244.{i // 250}.{i % 250 + 1}"}}


def policy(i: int) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "podSelector": {"matchLabels": {"app": f"app-{i % APPS}"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": f"app-{(i + 1) % APPS}"}}},
                              {"podSelector": {"matchLabels": {"app": f"app-{(i + 2) % APPS}"}}},
                              {"namespaceSelector": {"matchLabels": {"team": f"t-{i % 3}"}}}],
                     "ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": "http"}]}]}
    if i % 10 == 0:
        spec["policyTypes"].append("Egress")
        spec["egress"] = [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.244.0.0/16"]}}]}]
    return {"metadata": {"name": f"np-{i}", "namespace": f"ns-{i % NAMESPACES}"}, "spec": spec}


def namespace(i: int) -> dict[str, Any]:
    return {"metadata": {"name": f"ns-{i}", "labels": {"team": f"t-{i % 3}"}}}


async def bench(netns: str, policies: int, pods: int, rounds: int) -> None:
    pod_objects = [pod(i) for i in range(pods)]
    controller = NetworkPolicyController(
        cast(SharedInformer, StaticInformer([policy(i) for i in range(policies)])),      # stand-ins
        cast(SharedInformer, StaticInformer(pod_objects)),
        cast(SharedInformer, StaticInformer([namespace(i) for i in range(NAMESPACES)])),
        node_name=NODE, netns=netns)
    computed = []
    for _ in range(rounds):
        started = time.perf_counter()
        rules = controller.desired()
        computed.append(time.perf_counter() - started)
    first = await controller.sync(full=True)
    full = [(await controller.sync(full=True)).seconds for _ in range(rounds)]
    partial, chains = [], []
    for generation in range(1, rounds + 1):
        pod_objects[generation] = pod(generation, app=(generation + 7) % APPS)
        stats = await controller.sync(full=False)
        partial.append(stats.seconds)
        chains.append(stats.chains_written + stats.chains_deleted)
    noop = (await controller.sync(full=False)).seconds
    lines = sum(len(r) for r in rules.values())
    print(f"{policies} policies x {pods} pods (all local): {len(rules)} chains, {lines} rules, "
          f"payload {first.payload_bytes / 1e6:.2f} MB")
    print(f"  compute (median)                 {statistics.median(computed) * 1e3:8.1f} ms")
    print(f"  first full sync (empty tables)   {first.seconds * 1e3:8.1f} ms")
    print(f"  full sync (median)               {statistics.median(full) * 1e3:8.1f} ms")
    print(f"  one-pod partial (median)         {statistics.median(partial) * 1e3:8.1f} ms   "
          f"max {max(partial) * 1e3:.1f} ms, {statistics.median(chains):.0f} chains written/deleted")
    print(f"  no-change sync                   {noop * 1e3:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=100)
    parser.add_argument("--pods", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (a private network namespace)")
    netns = f"mkbench-np-{uuid.uuid4().hex[:6]}"
    pynetns.create(netns)
    try:
        asyncio.run(bench(netns, args.policies, args.pods, args.rounds))
    finally:
        pynetns.remove(netns)


if __name__ == "__main__":
    main()
