"""Leader election on a Lease: client-go's tools/leaderelection (LeaderElector + LeaseLock).

Several replicas of a controller run; exactly one should act. They compete for
one coordination.k8s.io/v1 Lease object:

- A candidate takes the lease when it is absent, has no holder, has expired
  (renewTime + leaseDurationSeconds is in the past) or is already its own.
  Writes carry the resourceVersion read just before, so when two candidates
  race, the API server accepts one write and answers 409 Conflict to the other.
- The leader renews (renewTime = now) every retry period. If no renewal
  succeeds for renew_deadline, or the lease turns out to be someone else's, it
  stops leading at once: renew_deadline < lease_duration is what guarantees the
  old leader has given up before anyone else may consider the lease expired.
- on_started_leading(...) is a coroutine run as a task while we lead; it is
  cancelled when leadership is lost, then on_stopped_leading() is called
  (only after having led; client-go calls it whenever Run returns).
- When `run()` is cancelled while leading, the lease is released (holder
  cleared) if release_on_cancel is set, so a successor need not wait for expiry.

client-go judges expiry by when *it* last saw the record change (immune to clock
skew between machines); we use renewTime as written, which is simpler to read.
"""
from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from minikube_py.api.errors import ApiError
from minikube_py.api.meta import Obj
from minikube_py.api.times import format_microtime, now, parse_time
from minikube_py.client.callbacks import call
from minikube_py.client.rest import ApiClient

log = logging.getLogger("client.leaderelection")

class LeaderElector:
    def __init__(self, api: ApiClient, *, lease_name: str, namespace: str, identity: str,
                 on_started_leading: Callable[[], Coroutine[Any, Any, None]],
                 on_stopped_leading: Callable[[], Any] | None = None,
                 lease_duration: float = 15.0, renew_deadline: float = 10.0, retry_period: float = 2.0,
                 release_on_cancel: bool = False) -> None:
        if not retry_period < renew_deadline < lease_duration:
            raise ValueError("need retry_period < renew_deadline < lease_duration")
        self.leases = api.resource("leases", namespace)
        self.lease_name, self.identity = lease_name, identity
        self.on_started_leading, self.on_stopped_leading = on_started_leading, on_stopped_leading
        self.lease_duration, self.renew_deadline, self.retry_period = lease_duration, renew_deadline, retry_period
        self.release_on_cancel = release_on_cancel
        self.observed_leader = ""
        self._leading = False

    def is_leader(self) -> bool:
        return self._leading

    async def run(self) -> None:
        """Acquire, lead until leadership is lost, then return. Cancel it to stop."""
        await self._acquire()
        work = asyncio.create_task(self.on_started_leading(), name=f"leader-{self.identity}")
        try:
            await self._renew_until_lost()
        finally:
            await self._stop_leading(work)

    # ---- the loops ------------------------------------------------------------------------

    async def _acquire(self) -> None:
        while not await self._try_acquire_or_renew():
            await asyncio.sleep(self.retry_period)
        self._leading = True
        log.info("%s became leader of lease %s", self.identity, self.lease_name)

    async def _renew_until_lost(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.renew_deadline
        while True:
            await asyncio.sleep(max(0.0, min(self.retry_period, deadline - loop.time())))
            if await self._renew_before(deadline):
                deadline = loop.time() + self.renew_deadline
            elif self.observed_leader not in ("", self.identity) or loop.time() >= deadline:
                log.warning("%s lost lease %s (holder now %r)", self.identity, self.lease_name, self.observed_leader)
                return

    async def _renew_before(self, deadline: float) -> bool:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return False
        try:
            return await asyncio.wait_for(self._try_acquire_or_renew(), remaining)
        except TimeoutError:
            return False

    async def _stop_leading(self, work: asyncio.Task[None]) -> None:
        was_leading, self._leading = self._leading, False
        work.cancel()
        await asyncio.gather(work, return_exceptions=True)
        if was_leading and self.release_on_cancel and self.observed_leader == self.identity:
            await asyncio.shield(self._release())
        await call(self.on_stopped_leading)

    # ---- one attempt ----------------------------------------------------------------------

    async def _try_acquire_or_renew(self) -> bool:
        """One read-modify-write of the lease; True when we hold it afterwards."""
        try:
            lease = await self.leases.get(self.lease_name)
        except ApiError as e:
            if e.code != 404:
                log.info("%s: cannot read lease %s: %s", self.identity, self.lease_name, e.message)
                return False
            return await self._write(self.leases.create, self._new_lease())
        spec = lease.get("spec") or {}
        self._observe(spec.get("holderIdentity") or "")
        if self.observed_leader not in ("", self.identity) and not self._expired(spec):
            return False
        lease["spec"] = self._next_spec(spec)
        return await self._write(self.leases.update, lease)

    async def _write(self, verb: Callable[[Obj], Awaitable[Obj]], lease: Obj) -> bool:
        try:
            await verb(lease)
        except ApiError as e:       # 409: someone else wrote first; anything else: try later
            log.debug("%s: lease %s write failed: %s %s", self.identity, self.lease_name, e.code, e.message)
            return False
        self._observe(self.identity)
        return True

    def _new_lease(self) -> Obj:
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": self.lease_name}, "spec": self._next_spec({})}

    def _next_spec(self, spec: Obj) -> Obj:
        stamp = format_microtime(now())
        ours = spec.get("holderIdentity") == self.identity
        transitions = spec.get("leaseTransitions", 0) + (0 if ours or not spec else 1)
        return {**spec, "holderIdentity": self.identity, "leaseDurationSeconds": math.ceil(self.lease_duration),
                "acquireTime": spec.get("acquireTime") if ours else stamp, "renewTime": stamp,
                "leaseTransitions": transitions}

    @staticmethod
    def _expired(spec: Obj) -> bool:
        renewed = parse_time(spec.get("renewTime")) or parse_time(spec.get("acquireTime"))
        if renewed is None:
            return True
        return renewed + timedelta(seconds=spec.get("leaseDurationSeconds") or 0) < now()

    def _observe(self, holder: str) -> None:
        if holder != self.observed_leader:
            log.debug("%s: lease %s is held by %r", self.identity, self.lease_name, holder)
            self.observed_leader = holder

    async def _release(self, attempts: int = 3) -> None:
        """Clear the holder so the next candidate need not wait for the lease to expire.
        A renewal cancelled mid-flight may still land first: on 409 read again and retry."""
        for _ in range(attempts):
            try:
                lease = await self.leases.get(self.lease_name)
                if (lease.get("spec") or {}).get("holderIdentity") != self.identity:
                    return
                lease["spec"].pop("holderIdentity", None)
                lease["spec"].update({"leaseDurationSeconds": 1, "renewTime": format_microtime(now())})
                await self.leases.update(lease)
                log.info("%s released lease %s", self.identity, self.lease_name)
                return
            except ApiError as e:
                if e.code != 409:
                    log.warning("%s: could not release lease %s: %s", self.identity, self.lease_name, e.message)
                    return
