"""Leader election on a real Lease: never two leaders, takeover after a stop, a crash
(cancel without release) and a leader that cannot renew. Leadership is recorded as an
ordered log of start/stop callbacks; we assert on that order, never on durations."""
from __future__ import annotations

import asyncio
import re

import pytest

from minikube_py.api.errors import ApiError
from minikube_py.client import ApiClient, ClientConfig
from minikube_py.client.leaderelection import LeaderElector
from minikube_py.testing import eventually

SHORT = {"lease_duration": 2, "renew_deadline": 0.6, "retry_period": 0.1}
MICROTIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


class Candidates:
    """Runs electors for one lease and logs ("start"|"stop", identity) in callback order."""

    def __init__(self, api: ApiClient, ns: str, lease: str) -> None:
        self.api, self.ns, self.lease = api, ns, lease
        self.log: list[tuple[str, str]] = []
        self.tasks: dict[str, asyncio.Task] = {}
        self.electors: dict[str, LeaderElector] = {}

    def start(self, identity: str, **options) -> LeaderElector:
        async def lead() -> None:
            self.log.append(("start", identity))
            await asyncio.Event().wait()       # work until cancelled

        elector = LeaderElector(self.api, lease_name=self.lease, namespace=self.ns, identity=identity,
                                on_started_leading=lead,
                                on_stopped_leading=lambda: self.log.append(("stop", identity)),
                                **{**SHORT, **options})
        self.electors[identity] = elector
        self.tasks[identity] = asyncio.create_task(elector.run())
        return elector

    async def wait_leader(self, identity: str) -> None:
        async def leading() -> bool:
            return self.electors[identity].is_leader() and ("start", identity) in self.log
        await eventually(leading, f"{identity} to become leader", interval=0.025, explain=lambda: f"log {self.log}")

    async def cancel(self, identity: str) -> None:
        task = self.tasks.pop(identity)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def close(self) -> None:
        for identity in list(self.tasks):
            await self.cancel(identity)

    def assert_never_two_leaders(self) -> None:
        leaders: set[str] = set()
        for what, identity in self.log:
            if what == "start":
                leaders.add(identity)
                assert len(leaders) == 1, f"two leaders at once: {self.log}"
            else:
                leaders.discard(identity)


@pytest.fixture
async def candidates(apiserver, ns, unique):
    async with ApiClient(ClientConfig(server=apiserver.url)) as api:
        group = Candidates(api, ns, f"lock-{unique}")
        try:
            yield group
        finally:
            await group.close()
        group.assert_never_two_leaders()


async def test_one_leader_and_takeover_after_release(candidates):
    candidates.start("a", release_on_cancel=True)
    await candidates.wait_leader("a")
    candidates.start("b", release_on_cancel=True)
    for _ in range(5):                       # b keeps trying and failing while a renews
        await asyncio.sleep(SHORT["retry_period"])
        assert not candidates.electors["b"].is_leader()
    lease = await candidates.api.resource("leases", candidates.ns).get(candidates.lease)
    assert lease["spec"]["holderIdentity"] == "a" and lease["spec"]["leaseTransitions"] == 0
    assert MICROTIME.match(lease["spec"]["renewTime"]) and MICROTIME.match(lease["spec"]["acquireTime"])
    await candidates.cancel("a")             # graceful stop: releases the lease
    released = await candidates.api.resource("leases", candidates.ns).get(candidates.lease)
    assert released["spec"].get("holderIdentity") in (None, "", "b")
    await candidates.wait_leader("b")
    lease = await candidates.api.resource("leases", candidates.ns).get(candidates.lease)
    assert lease["spec"]["holderIdentity"] == "b" and lease["spec"]["leaseTransitions"] == 1
    assert candidates.log == [("start", "a"), ("stop", "a"), ("start", "b")]


async def test_takeover_after_a_crash_without_release(candidates):
    candidates.start("a")
    await candidates.wait_leader("a")
    candidates.start("b")
    await candidates.cancel("a")             # no release: b must wait for the lease to expire
    await candidates.wait_leader("b")
    assert candidates.log == [("start", "a"), ("stop", "a"), ("start", "b")]


async def test_a_leader_that_cannot_renew_steps_down_before_the_next_one_starts(candidates):
    first = candidates.start("a")
    await candidates.wait_leader("a")

    async def unreachable(*_args, **_kwargs):
        raise ApiError(503, "ServiceUnavailable", "simulated network partition")

    first.leases.get = unreachable            # a's renewals now fail; its lease is left to expire
    candidates.start("b")
    await candidates.wait_leader("b")
    assert candidates.log[:2] == [("start", "a"), ("stop", "a")]
    assert candidates.tasks["a"].done()       # run() returned after losing leadership


async def test_many_candidates_race_for_one_lease(candidates):
    for i in range(5):
        candidates.start(f"c{i}")

    async def someone_leads() -> bool:
        return any(e.is_leader() for e in candidates.electors.values())
    await eventually(someone_leads, "one of the candidates to lead", interval=0.025)
    await asyncio.sleep(0.3)                  # let the others try (and fail) a few times
    assert sum(e.is_leader() for e in candidates.electors.values()) == 1


def test_timings_must_be_ordered():
    with pytest.raises(ValueError):
        LeaderElector(None, lease_name="x", namespace="y", identity="z", on_started_leading=None,
                      lease_duration=1, renew_deadline=2, retry_period=0.1)
