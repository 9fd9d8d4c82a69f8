"""Time-to-live for stored objects through shared etcd leases.

Kubernetes keeps Events for `--event-ttl` (1 h) and then lets etcd delete
them: each Event key is attached to an etcd lease. Granting one lease per
write would be costly, so the apiserver's lease manager reuses one lease for
all writes in the same minute, granting it `ttl + 60 s` so that every object
attached to it lives at least `ttl`. We do the same.
"""
from __future__ import annotations

import asyncio
import time

import aetcd

REUSE_SECONDS = 60


class LeaseManager:
    def __init__(self, client: aetcd.Client, reuse_seconds: int = REUSE_SECONDS) -> None:
        self.client = client
        self.reuse_seconds = reuse_seconds
        self._leases: dict[int, tuple[int, float]] = {}   # ttl -> (lease id, granted at)
        self._lock = asyncio.Lock()

    async def lease_for(self, ttl_seconds: int) -> int:
        """A lease id that keeps an object written now for at least `ttl_seconds`."""
        async with self._lock:
            current = self._leases.get(ttl_seconds)
            now = time.monotonic()
            if current and now - current[1] < self.reuse_seconds:
                return current[0]
            lease = await self.client.lease(ttl_seconds + self.reuse_seconds)
            self._leases[ttl_seconds] = (lease.id, now)
            return lease.id
