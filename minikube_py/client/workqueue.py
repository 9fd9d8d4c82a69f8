"""The controller work queue: client-go's util/workqueue (Type + DelayingQueue + RateLimitingQueue).

Controllers do not act on watch events directly. Event handlers put *keys*
("namespace/name") into this queue and workers take them out and reconcile the
object's current state. The queue guarantees what makes that safe and cheap:

- a key waiting in the queue is there once, however often it is added (dedup);
- a key being processed is never handed to a second worker; if it is added
  meanwhile it is queued again once the worker calls `done(key)`;
- a failed key comes back later: `add_rate_limited` waits per-key exponential
  backoff (5 ms, 10 ms, 20 ms ... up to 1000 s) and, overall, a token bucket
  (10 per second, burst 100): client-go's DefaultControllerRateLimiter.

`get()` returns None once the queue is shut down and empty, so a worker is
`while (key := await queue.get()) is not None: ...` (client-go returns a
`shutdown` flag instead). Keys still queued at shutdown are handed out first.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, Protocol, TypeVar

log = logging.getLogger("client.workqueue")

Key = Hashable
# The key type of one queue: controllers queue "namespace/name" strings.
K = TypeVar("K", bound=Hashable)


class RateLimiter(Protocol):
    def when(self, key: Key) -> float: ...       # how long to wait before retrying key
    def forget(self, key: Key) -> None: ...       # key succeeded: reset its history
    def num_requeues(self, key: Key) -> int: ...


class ItemExponentialFailureRateLimiter:
    """Per key: base * 2**failures, capped at max_delay."""

    def __init__(self, base_delay: float = 0.005, max_delay: float = 1000.0) -> None:
        self.base_delay, self.max_delay = base_delay, max_delay
        self._failures: dict[Key, int] = {}

    def when(self, key: Key) -> float:
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        delay: float = self.base_delay * 2 ** min(failures, 64)
        return min(delay, self.max_delay)

    def forget(self, key: Key) -> None:
        self._failures.pop(key, None)

    def num_requeues(self, key: Key) -> int:
        return self._failures.get(key, 0)


class BucketRateLimiter:
    """One token bucket for all keys: `qps` tokens a second, at most `burst` saved up.
    Taking a token from an empty bucket reserves a future one (like Go's rate.Limiter)."""

    def __init__(self, qps: float = 10.0, burst: int = 100, clock: Callable[[], float] = time.monotonic) -> None:
        self.qps, self.burst, self.clock = qps, burst, clock
        self._tokens = float(burst)
        self._last = clock()

    def when(self, key: Key) -> float:
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def forget(self, key: Key) -> None:
        pass

    def num_requeues(self, key: Key) -> int:
        return 0


class MaxOfRateLimiter:
    """The longest wait any of its limiters asks for."""

    def __init__(self, *limiters: RateLimiter) -> None:
        self.limiters = limiters

    def when(self, key: Key) -> float:
        return max(limiter.when(key) for limiter in self.limiters)

    def forget(self, key: Key) -> None:
        for limiter in self.limiters:
            limiter.forget(key)

    def num_requeues(self, key: Key) -> int:
        return max(limiter.num_requeues(key) for limiter in self.limiters)


def default_controller_rate_limiter(base_delay: float = 0.005, max_delay: float = 1000.0,
                                    qps: float = 10.0, burst: int = 100) -> MaxOfRateLimiter:
    return MaxOfRateLimiter(ItemExponentialFailureRateLimiter(base_delay, max_delay), BucketRateLimiter(qps, burst))


class RateLimitingQueue(Generic[K]):
    """Dedup + no parallel processing of a key + delayed and rate-limited adds."""

    def __init__(self, rate_limiter: RateLimiter | None = None, name: str = "") -> None:
        self.name = name
        self.rate_limiter = rate_limiter or default_controller_rate_limiter()
        self._queue: deque[K] = deque()         # order of processing
        self._dirty: set[K] = set()             # needs processing (queued, or re-added while processing)
        self._processing: set[K] = set()        # handed to a worker, not done yet
        self._waiting: dict[K, tuple[float, asyncio.TimerHandle]] = {}   # add_after: ready time, timer
        self._getters: deque[asyncio.Future[None]] = deque()
        self._shutting_down = False

    def __len__(self) -> int:
        return len(self._queue)

    def len(self) -> int:
        return len(self._queue)

    # ---- the basic queue ----------------------------------------------------------------

    def add(self, key: K) -> None:
        if self._shutting_down or key in self._dirty:
            return
        self._dirty.add(key)
        if key in self._processing:
            return                  # done(key) will queue it again
        self._queue.append(key)
        self._wake_one()

    async def get(self) -> K | None:
        """The next key to process (mark it done with done(key)); None after shutdown."""
        while not self._queue:
            if self._shutting_down:
                return None
            waiter = asyncio.get_running_loop().create_future()
            self._getters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter in self._getters:
                    self._getters.remove(waiter)
                self._wake_one()    # pass on a wake-up we may have swallowed
                raise
        key = self._queue.popleft()
        self._processing.add(key)
        self._dirty.discard(key)
        return key

    def done(self, key: K) -> None:
        self._processing.discard(key)
        if key in self._dirty:
            self._queue.append(key)
            self._wake_one()

    def shutdown(self) -> None:
        """Stop accepting keys; workers get the keys still queued, then None."""
        self._shutting_down = True
        for _, timer in self._waiting.values():
            timer.cancel()
        self._waiting.clear()
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def shutting_down(self) -> bool:
        return self._shutting_down

    def _wake_one(self) -> None:
        while self._getters and self._queue:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    # ---- delays and rate limiting ---------------------------------------------------------

    def add_after(self, key: K, delay: float) -> None:
        """Add the key after `delay` seconds; if it is already waiting, the earlier time wins."""
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(key)
            return
        loop = asyncio.get_running_loop()
        ready = loop.time() + delay
        if key in self._waiting:
            if self._waiting[key][0] <= ready:
                return
            self._waiting[key][1].cancel()
        self._waiting[key] = (ready, loop.call_at(ready, self._ready, key))

    def _ready(self, key: K) -> None:
        self._waiting.pop(key, None)
        self.add(key)

    def add_rate_limited(self, key: K) -> None:
        self.add_after(key, self.rate_limiter.when(key))

    def forget(self, key: K) -> None:
        """The key was handled successfully: reset its backoff."""
        self.rate_limiter.forget(key)

    def num_requeues(self, key: K) -> int:
        return self.rate_limiter.num_requeues(key)

    async def run_workers(self, reconcile: Reconcile[K], workers: int = 1) -> None:
        """Same as the module-level run_workers(self, reconcile, workers)."""
        await run_workers(self, reconcile, workers)


Reconcile = Callable[[K], Awaitable[None]]   # a generic alias: Reconcile[str] for string keys


async def run_workers(queue: RateLimitingQueue[K], reconcile: Reconcile[K], workers: int = 1) -> None:
    """Run `workers` workers until the queue is shut down: success forgets the key's
    backoff, an exception logs and requeues it rate limited."""
    await asyncio.gather(*(_worker(queue, reconcile) for _ in range(workers)))


async def _worker(queue: RateLimitingQueue[K], reconcile: Reconcile[K]) -> None:
    while (key := await queue.get()) is not None:
        try:
            await reconcile(key)
        except Exception as e:
            # A conflict only means our cache was a step behind: routine, retried at once-ish.
            routine = getattr(e, "reason", None) == "Conflict"
            log.log(logging.DEBUG if routine else logging.WARNING, "%s: reconciling %s failed (retry %d): %s: %s",
                    queue.name or "queue", key, queue.num_requeues(key) + 1, type(e).__name__, e)
            queue.add_rate_limited(key)
        else:
            queue.forget(key)
        finally:
            queue.done(key)
