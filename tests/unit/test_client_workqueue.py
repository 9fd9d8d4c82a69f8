"""The rate-limited work queue: dedup, one worker per key, backoff growth, forget, shutdown.
No timing assertions: delays are computed values or tiny, and we assert order and counts."""
from __future__ import annotations

import asyncio

import pytest

from minikube_py.client.workqueue import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    RateLimitingQueue,
    default_controller_rate_limiter,
    run_workers,
)
from minikube_py.testing import eventually


async def test_add_dedups_while_queued_and_keeps_order():
    queue = RateLimitingQueue[str]()
    for key in ("a", "b", "a", "c", "b"):
        queue.add(key)
    assert len(queue) == 3
    assert [await queue.get() for _ in range(3)] == ["a", "b", "c"]


async def test_a_key_in_processing_is_not_handed_out_again_until_done():
    queue = RateLimitingQueue[str]()
    queue.add("a")
    assert await queue.get() == "a"
    queue.add("a")                   # re-added while a worker holds it
    queue.add("a")
    assert len(queue) == 0
    second = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not second.done()
    queue.done("a")                  # now it comes back, once
    assert await asyncio.wait_for(second, 5) == "a"
    queue.done("a")
    assert len(queue) == 0


async def test_workers_never_process_one_key_in_parallel():
    queue = RateLimitingQueue[str]()
    active: set[str] = set()
    overlaps: list[str] = []
    processed: list[str] = []

    async def reconcile(key: str) -> None:
        if key in active:
            overlaps.append(key)
        active.add(key)
        await asyncio.sleep(0.001)
        processed.append(key)
        if len(processed) < 40:
            queue.add(key)            # keep re-adding while being processed
        active.discard(key)

    for key in ("x", "y", "z"):
        queue.add(key)
    workers = asyncio.create_task(run_workers(queue, reconcile, workers=4))

    async def drained() -> bool:
        return len(processed) >= 40 and len(queue) == 0
    try:
        await eventually(drained, "40 reconciles and an empty queue", timeout=5, interval=0.01)
    finally:
        queue.shutdown()
        await asyncio.wait_for(workers, 5)
    assert overlaps == [] and len(processed) >= 40


def test_exponential_backoff_grows_caps_and_forgets():
    limiter = ItemExponentialFailureRateLimiter(base_delay=0.005, max_delay=1.0)
    delays = [limiter.when("k") for _ in range(12)]
    assert delays[:4] == [0.005, 0.01, 0.02, 0.04]
    assert delays[-1] == 1.0 and delays == sorted(delays)
    assert limiter.num_requeues("k") == 12 and limiter.when("other") == 0.005
    limiter.forget("k")
    assert limiter.num_requeues("k") == 0 and limiter.when("k") == 0.005


def test_token_bucket_allows_a_burst_then_spaces_out():
    clock = [100.0]
    bucket = BucketRateLimiter(qps=10, burst=3, clock=lambda: clock[0])
    assert [bucket.when(i) for i in range(3)] == [0.0, 0.0, 0.0]
    waits = [bucket.when(i) for i in range(3, 6)]
    assert waits == sorted(waits) and waits[0] > 0
    clock[0] += 10                      # long idle: the bucket is full again
    assert bucket.when("again") == 0.0


def test_default_limiter_is_the_max_of_both():
    limiter = default_controller_rate_limiter(base_delay=1.0, max_delay=8.0, qps=1000, burst=1000)
    assert [limiter.when("k") for _ in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert limiter.num_requeues("k") == 5
    limiter.forget("k")
    assert limiter.num_requeues("k") == 0


async def test_failures_are_retried_with_backoff_and_success_forgets():
    queue = RateLimitingQueue[str](default_controller_rate_limiter(base_delay=0.001, max_delay=0.01))
    attempts: list[int] = []

    async def reconcile(key: str) -> None:
        attempts.append(queue.num_requeues(key))
        if len(attempts) < 4:
            raise RuntimeError("not yet")

    queue.add("k")
    workers = asyncio.create_task(run_workers(queue, reconcile, workers=2))

    async def retried() -> bool:
        return len(attempts) >= 4
    try:
        await eventually(retried, "four attempts", timeout=5, interval=0.01)
    finally:
        queue.shutdown()
        await asyncio.wait_for(workers, 5)
    assert attempts == [0, 1, 2, 3]
    assert queue.num_requeues("k") == 0          # forgotten after the success


async def test_add_after_keeps_the_earliest_time_and_dedups():
    queue = RateLimitingQueue[str]()
    queue.add_after("k", 60)
    queue.add_after("k", 0.001)                  # earlier: replaces the 60 s wait
    queue.add_after("k", 30)                     # later: ignored
    assert len(queue) == 0
    assert await asyncio.wait_for(queue.get(), 5) == "k"
    queue.done("k")
    queue.shutdown()                             # cancels nothing left; no timer may fire later
    assert await queue.get() is None


async def test_shutdown_drains_queued_keys_then_returns_none():
    queue = RateLimitingQueue[str]()
    waiting = [asyncio.create_task(queue.get()) for _ in range(2)]
    await asyncio.sleep(0)
    queue.add("last")
    queue.add_after("never", 60)
    queue.shutdown()
    results = await asyncio.wait_for(asyncio.gather(*waiting), 5)
    assert sorted(results, key=lambda r: r is None) == ["last", None]
    queue.add("ignored")
    assert len(queue) == 0 and await queue.get() is None


async def test_a_cancelled_getter_does_not_swallow_a_key():
    queue = RateLimitingQueue[str]()
    first = asyncio.create_task(queue.get())
    second = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.add("k")          # wakes `first`...
    first.cancel()          # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await asyncio.wait_for(second, 5) == "k"
