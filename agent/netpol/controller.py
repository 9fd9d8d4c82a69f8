"""The per-node NetworkPolicy agent's sync loop (kube-router's network policy controller, small).

It watches NetworkPolicies, Pods and Namespaces (informers), and keeps the
node's filter table equal to `build_ruleset(compute(...))` for the pods of its
node. Informer events only mark it dirty; the loop then
- waits `min_sync_period` so a burst of events becomes one sync (well within
  the second a user should wait for a policy to take effect);
- recomputes everything in memory and writes, in ONE `iptables-restore
  --noflush` payload, only the chains that differ from what it wrote last
  (partial sync) and deletes the chains no pod needs any more;
- does a full sync at start, every `full_sync_period` and after a failure:
  every chain rewritten, the jumps from FORWARD and INPUT put back first in
  their chains, and stale chains of ours found by listing the kernel's table,
  which is how a restarted agent converges (its rules stay in the kernel while
  it is down, so pods stay isolated across a restart).
`cleanup` removes the jumps and every chain of ours (`--cleanup`, as
kube-proxy's).
"""
from __future__ import annotations

import asyncio
import logging
import time

from agent.netpol.model import Cluster, compute
from agent.netpol.rules import DISPATCH, OWNED_PREFIX, TABLE, build_ruleset
from agent.proxy import iptables
from agent.proxy.proxier import SyncStats
from agent.proxy.rules import Chain, Ruleset, render
from minikube_py.client.informer import SharedInformer

log = logging.getLogger("agent.netpol")

JUMPS = tuple(iptables.Jump(TABLE, base, DISPATCH, "kubernetes network policies") for base in ("FORWARD", "INPUT"))


def ensure_first(netns: str | None, jump: iptables.Jump) -> None:
    """The jump exists once and is the first rule of its base chain, so that nothing that
    ACCEPTs earlier (kube-proxy's KUBE-FORWARD accepts masqueraded traffic) bypasses policy."""
    listed = [line for line in iptables.list_chain(netns, jump.table, jump.base).splitlines()
              if line.startswith(f"-A {jump.base} ")]
    if listed and iptables.has_jump(listed[0], jump) and not any(iptables.has_jump(line, jump) for line in listed[1:]):
        return
    while iptables.run(netns, ["iptables", "-w", "-t", jump.table, "-D", *jump.args()], check=False).returncode == 0:
        pass
    iptables.ensure_chain_and_jump(netns, jump)


def our_chains(netns: str | None, prefix: str) -> set[Chain]:
    section = iptables.split_tables(iptables.save(netns, TABLE)).get(TABLE, "")
    return {(TABLE, name) for name in iptables.chains_in(section) if name.startswith(prefix)}


def cleanup(netns: str | None) -> int:
    """Remove the jumps and every KUBE-NWPLCY chain; the number of chains removed."""
    for jump in JUMPS:
        while iptables.run(netns, ["iptables", "-w", "-t", jump.table, "-D", *jump.args()],
                           check=False).returncode == 0:
            pass
    chains = our_chains(netns, DISPATCH)
    payload = render({}, (), chains)
    if payload:
        iptables.restore(netns, payload)
    return len(chains)


class NetworkPolicyController:
    def __init__(self, policies: SharedInformer, pods: SharedInformer, namespaces: SharedInformer, *,
                 node_name: str, netns: str | None = None, min_sync_period: float = 0.2,
                 full_sync_period: float = 60.0) -> None:
        self.policies, self.pods, self.namespaces = policies, pods, namespaces
        self.node_name, self.netns = node_name, netns
        self.min_sync_period, self.full_sync_period = min_sync_period, full_sync_period
        self.written: Ruleset = {}
        self.history: list[SyncStats] = []
        self._dirty = asyncio.Event()
        self._need_full = True
        self._task: asyncio.Task | None = None
        for informer in (policies, pods, namespaces):
            informer.add_event_handler(on_add=self._mark_dirty, on_update=self._mark_dirty,
                                       on_delete=self._mark_dirty)

    def _mark_dirty(self, *_: object) -> None:
        self._dirty.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="netpol")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        await asyncio.gather(*(i.wait_for_sync() for i in (self.policies, self.pods, self.namespaces)))
        last_full = float("-inf")
        while True:
            full = self._need_full or time.monotonic() - last_full >= self.full_sync_period
            try:
                await self.sync(full=full)
            except Exception:
                log.exception("sync failed; the next one will be full")
                self._need_full, self.written = True, {}       # unknown now: re-read the kernel
                await asyncio.sleep(1.0)
                continue
            last_full = time.monotonic() if full else last_full
            try:
                await asyncio.wait_for(self._dirty.wait(), max(0.0, self.full_sync_period -
                                                              (time.monotonic() - last_full)))
            except TimeoutError:
                pass
            await asyncio.sleep(self.min_sync_period)     # coalesce a burst of events into one sync
            self._dirty.clear()

    def desired(self) -> Ruleset:
        cluster = Cluster.of(self.pods.list(), self.namespaces.list())
        local_keys = {(p["metadata"].get("namespace", "default"), p["metadata"]["name"]) for p in self.pods.list()
                      if (p.get("spec") or {}).get("nodeName") == self.node_name}
        local = [p for p in cluster.pods if (p.namespace, p.name) in local_keys]
        return build_ruleset(compute(self.policies.list(), cluster, local))

    async def sync(self, full: bool = False) -> SyncStats:
        started = time.perf_counter()
        rules = self.desired()
        if full:
            write, delete = set(rules), await asyncio.to_thread(self._check_kernel, rules)
        else:
            write = {c for c, r in rules.items() if self.written.get(c) != r}
            delete = {c for c in self.written if c not in rules}
        payload = render(rules, write, delete)
        if payload:
            await iptables.restore_async(self.netns, payload)
        self.written, self._need_full = rules, False
        stats = SyncStats(full, len(write), len(delete), len(payload), time.perf_counter() - started)
        self.history = (self.history + [stats])[-100:]
        log.log(logging.INFO if full else logging.DEBUG, "sync: %s", stats)
        return stats

    def _check_kernel(self, rules: Ruleset) -> set[Chain]:
        """Part of a full sync: the jumps first in FORWARD and INPUT; our chains nobody needs."""
        for jump in JUMPS:
            ensure_first(self.netns, jump)
        return {c for c in our_chains(self.netns, OWNED_PREFIX) if c not in rules}

    def request_full_sync(self) -> None:
        self._need_full = True
        self._dirty.set()
