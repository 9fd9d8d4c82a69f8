"""The iptables proxier: kube-proxy's sync loop (pkg/proxy/iptables/proxier.go), small.

Informer events only mark the proxier dirty; a single loop turns "dirty" into
syncs that are
- coalesced: at most one sync per `min_sync_period` however many events arrive
  (kube-proxy's BoundedFrequencyRunner);
- partial (KEP-3453): every sync recomputes the whole ruleset in memory (cheap)
  but writes only the chains whose rules differ from what it wrote last time,
  and deletes the KUBE-SVC-/KUBE-SEP- chains nobody references any more;
- periodically full (`full_sync_period`), and full after any failure: every
  chain rewritten, stale chains found by listing the kernel's tables — which
  is also how a restarted proxy converges. Rewriting a chain changes rules,
  not conntrack, so established flows keep their NAT and are not disturbed.
Each sync is one `iptables-restore --noflush` payload naming only our chains.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from agent.proxy import conntrack, iptables
from agent.proxy.model import ServicePort, all_service_ports
from agent.proxy.rules import OWNED_PREFIXES, Chain, Ruleset, build_ruleset, render
from minikube_py.client.informer import SharedInformer

log = logging.getLogger("agent.proxy")

JUMPS = (
    iptables.Jump("nat", "PREROUTING", "KUBE-SERVICES", "kubernetes service portals"),
    iptables.Jump("nat", "OUTPUT", "KUBE-SERVICES", "kubernetes service portals"),
    iptables.Jump("nat", "POSTROUTING", "KUBE-POSTROUTING", "kubernetes postrouting rules"),
    iptables.Jump("filter", "INPUT", "KUBE-EXTERNAL-SERVICES", "kubernetes externally-visible service portals",
                  ("-m", "conntrack", "--ctstate", "NEW")),
    iptables.Jump("filter", "FORWARD", "KUBE-FORWARD", "kubernetes forwarding rules"),
    iptables.Jump("filter", "FORWARD", "KUBE-SERVICES", "kubernetes service portals",
                  ("-m", "conntrack", "--ctstate", "NEW")),
    iptables.Jump("filter", "OUTPUT", "KUBE-SERVICES", "kubernetes service portals",
                  ("-m", "conntrack", "--ctstate", "NEW")),
)


def _jumps_by_base_chain() -> dict[tuple[str, str], list[iptables.Jump]]:
    grouped: dict[tuple[str, str], list[iptables.Jump]] = {}
    for jump in JUMPS:
        grouped.setdefault((jump.table, jump.base), []).append(jump)
    return grouped


@dataclass
class SyncStats:
    full: bool
    chains_written: int
    chains_deleted: int
    payload_bytes: int
    seconds: float


@dataclass
class ProxierState:
    """What we believe is in the kernel: the rules of every chain we wrote."""
    written: Ruleset = field(default_factory=dict)
    ports: dict[str, ServicePort] = field(default_factory=dict)


class Proxier:
    def __init__(self, services: SharedInformer, endpoints: SharedInformer, *, netns: str | None = None,
                 cluster_cidr: str | None = None, min_sync_period: float = 0.1,
                 full_sync_period: float = 60.0) -> None:
        self.services, self.endpoints = services, endpoints
        self.netns, self.cluster_cidr = netns, cluster_cidr
        self.min_sync_period, self.full_sync_period = min_sync_period, full_sync_period
        self.state = ProxierState()
        self.history: list[SyncStats] = []
        self._dirty = asyncio.Event()
        self._need_full = True
        self._task: asyncio.Task | None = None
        for informer in (services, endpoints):
            informer.add_event_handler(on_add=self._mark_dirty, on_update=self._mark_dirty,
                                       on_delete=self._mark_dirty)

    def _mark_dirty(self, *_: object) -> None:
        self._dirty.set()

    # ---- the loop ------------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="kube-proxy")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        await asyncio.gather(self.services.wait_for_sync(), self.endpoints.wait_for_sync())
        last_full = last_sync = 0.0
        while True:
            if not self._need_full:
                try:
                    await asyncio.wait_for(self._dirty.wait(), self.full_sync_period - (time.monotonic() - last_full))
                except TimeoutError:
                    self._need_full = True
            await asyncio.sleep(max(0.0, self.min_sync_period - (time.monotonic() - last_sync)))
            self._dirty.clear()
            full = self._need_full
            try:
                await self.sync(full=full)
                last_full = time.monotonic() if full else last_full
            except Exception:
                log.exception("sync failed; the next one will be full")
                self._need_full = True
                self.state.written = {}         # unknown now: re-read the kernel
                await asyncio.sleep(1.0)
            last_sync = time.monotonic()

    # ---- one sync ----------------------------------------------------------------------------

    def current_ports(self) -> list[ServicePort]:
        endpoints = {(e["metadata"].get("namespace", "default"), e["metadata"]["name"]): e
                     for e in self.endpoints.list()}
        return all_service_ports(self.services.list(), endpoints)

    async def sync(self, full: bool = False) -> SyncStats:
        started = time.perf_counter()
        ports = self.current_ports()
        rules = build_ruleset(ports, self.cluster_cidr)
        if full:
            write, delete = set(rules), await asyncio.to_thread(self._check_kernel, rules)
        else:
            write = {c for c, r in rules.items() if self.state.written.get(c) != r}
            delete = {c for c in self.state.written if c not in rules}
        payload = render(rules, write, delete)
        if payload:
            await iptables.restore_async(self.netns, payload)
        self.state.written = rules
        self._need_full = False
        new_ports = {f"{p.key}/{p.proto}": p for p in ports}
        if self.history:     # a fresh proxy knows no old endpoints: it must not flush live flows
            await asyncio.to_thread(conntrack.clear_stale_udp, self.netns, self.state.ports, new_ports)
        self.state.ports = new_ports
        stats = SyncStats(full, len(write), len(delete), len(payload), time.perf_counter() - started)
        self.history = (self.history + [stats])[-100:]
        log.debug("sync: %s", stats)
        return stats

    def _check_kernel(self, rules: Ruleset) -> set[Chain]:
        """Part of a full sync: (re)create missing jumps from the built-in chains, and return the
        per-service chains to delete. Listing every chain of the kernel costs an iptables-save of
        the whole table, so it is done only when we know nothing (a fresh or failed proxy);
        otherwise our memory of what we wrote says what is stale."""
        for (table, base), jumps in _jumps_by_base_chain().items():
            listed = iptables.list_chain(self.netns, table, base)
            for jump in jumps:
                if not iptables.has_jump(listed, jump):
                    iptables.ensure_chain_and_jump(self.netns, jump)
        if self.state.written:
            return {c for c in self.state.written if c not in rules}
        tables = iptables.split_tables(iptables.save(self.netns))
        return {(table, name) for table in ("nat", "filter") for name in iptables.chains_in(tables.get(table, ""))
                if name.startswith(OWNED_PREFIXES) and (table, name) not in rules}
