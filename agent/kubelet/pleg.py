"""The PLEG (pod lifecycle event generator): kubelet's GenericPLEG (pleg/generic.go).

Once a period it lists all of the node's containers in one runtime call
(`relist`), which also refreshes the runtime's view that pod workers read,
and wakes the worker of every pod whose containers changed (a new container,
one that exited, one that vanished). Relisting is simpler than following
Docker's event stream and needs no resynchronisation after a reconnect; the
changes the agent makes itself need no relist, the runtime writes them through.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from agent.kubelet.runtime.types import ContainerRecord, Runtime

log = logging.getLogger("agent.pleg")


def fingerprints(records: list[ContainerRecord]) -> dict[str, tuple]:
    """pod uid -> what changes when one of its containers changes (ids and states)."""
    by_pod: dict[str, list] = {}
    for r in records:
        by_pod.setdefault(r.pod_uid, []).append((r.id, r.state))
    return {uid: tuple(sorted(items)) for uid, items in by_pod.items()}


class PLEG:
    def __init__(self, runtime: Runtime, period: float, wake: Callable[[str], None]) -> None:
        self.runtime = runtime
        self.period = period
        self.wake = wake
        self._seen: dict[str, tuple] = {}

    async def relist(self) -> None:
        current = fingerprints(await self.runtime.relist())
        for uid in set(current) | set(self._seen):
            if current.get(uid) != self._seen.get(uid):
                self.wake(uid)
        self._seen = current

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.period)
            try:
                await self.relist()
            except Exception as e:
                log.warning("PLEG relist failed: %s", e)
