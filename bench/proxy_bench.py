"""kube-proxy (iptables mode) benchmark: full and one-service partial syncs vs a raw iptables-restore.

    .venv/bin/python bench/proxy_bench.py [--services 1000] [--endpoints 3] [--rounds 5]

Runs as root in a private network namespace (created here, removed at the end),
so the host's rules are never touched. The proxier is fed from in-memory
Service/Endpoints objects instead of informers; everything else is the real
code path (ruleset, payload, iptables-restore --noflush, stale chain listing).

- raw restore: `iptables-restore --noflush` of exactly the payload a full sync
  writes, timed alone: the floor for a full sync.
- full sync: Proxier.sync(full=True): ensure jumps, list stale chains, compute
  the ruleset, render, restore, bookkeeping.
- partial sync: one service's endpoint replaced, Proxier.sync(full=False):
  only that service's KUBE-SVC chain and the changed KUBE-SEP chains are written.
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

from agent.proxy import iptables
from agent.proxy.proxier import Proxier
from agent.proxy.rules import build_ruleset, render
from minikube_py.client.informer import SharedInformer


class StaticInformer:
    """Just enough of a SharedInformer for the proxier: a list of objects."""

    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self.objects = objects

    def add_event_handler(self, **_: Any) -> None:
        return None

    def list(self) -> list[dict[str, Any]]:
        return self.objects

    async def wait_for_sync(self) -> None:
        return None


def service(i: int) -> dict[str, Any]:
    return {"metadata": {"name": f"svc-{i}", "namespace": "bench"},
            "spec": {"clusterIP": f"10.96.{i // 250}.{i % 250 + 1}", "type": "NodePort",
                     "ports": [{"name": "http", "port": 80, "protocol": "TCP", "nodePort": 30000 + i}]}}


def endpoints(i: int, count: int, generation: int = 0) -> dict[str, Any]:
    ips = [f"10.244.{(i * count + k) // 250 % 250}.{(i * count + k) % 250 + 1}" for k in range(count)]
    if generation:
        ips[0] = f"10.245.{generation % 250}.{i % 250 + 1}"
    return {"metadata": {"name": f"svc-{i}", "namespace": "bench"},
            "subsets": [{"addresses": [{"ip": ip} for ip in ips],
                         "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]}


def timed_raw_restore(netns: str, payload: str) -> float:
    started = time.perf_counter()
    iptables.restore(netns, payload)
    return time.perf_counter() - started


async def bench(netns: str, services: int, per_service: int, rounds: int) -> None:
    eps = [endpoints(i, per_service) for i in range(services)]
    services_source = cast(SharedInformer, StaticInformer([service(i) for i in range(services)]))  # a stand-in
    proxier = Proxier(services_source, cast(SharedInformer, StaticInformer(eps)),
                      netns=netns, cluster_cidr="10.244.0.0/16")
    first = await proxier.sync(full=True)
    payload = render(build_ruleset(proxier.current_ports(), "10.244.0.0/16"),
                     build_ruleset(proxier.current_ports(), "10.244.0.0/16"))
    raw, full = [], []
    for _ in range(rounds):
        raw.append(await asyncio.to_thread(timed_raw_restore, netns, payload))
        full.append((await proxier.sync(full=True)).seconds)
    partial, partial_chains = [], []
    for generation in range(1, rounds + 1):
        eps[generation] = endpoints(generation, per_service, generation)
        stats = await proxier.sync(full=False)
        partial.append(stats.seconds)
        partial_chains.append(stats.chains_written + stats.chains_deleted)
    noop = (await proxier.sync(full=False)).seconds
    lines = payload.count("\n")
    raw_ms, full_ms = statistics.median(raw) * 1e3, statistics.median(full) * 1e3
    print(f"{services} services x {per_service} endpoints: payload {lines} lines, {len(payload) / 1e6:.2f} MB")
    print(f"  first full sync (empty tables)   {first.seconds * 1e3:8.1f} ms")
    print(f"  raw iptables-restore (median)    {raw_ms:8.1f} ms")
    print(f"  full sync (median)               {full_ms:8.1f} ms   ratio to raw {full_ms / raw_ms:.2f}x"
          f"   (target <= 1.2x)")
    print(f"  one-service partial (median)     {statistics.median(partial) * 1e3:8.1f} ms   "
          f"max {max(partial) * 1e3:.1f} ms, {statistics.median(partial_chains):.0f} chains written/deleted"
          f"   (target < 100 ms)")
    print(f"  no-change sync                   {noop * 1e3:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--endpoints", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (a private network namespace)")
    netns = f"mkbench-{uuid.uuid4().hex[:6]}"
    pynetns.create(netns)
    try:
        asyncio.run(bench(netns, args.services, args.endpoints, args.rounds))
    finally:
        pynetns.remove(netns)


if __name__ == "__main__":
    main()
