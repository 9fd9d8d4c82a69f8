"""The scheduling queue: kube-scheduler's internal/queue (scheduling_queue.go).

Three places a pod waiting for a node can be:

    activeQ        ready to be tried; a heap ordered by priority (higher first),
                   then by the time it was queued (older first): PrioritySort
    backoffQ       failed recently; waits 1 s, 2 s, 4 s, ... up to 10 s (doubling
                   per attempt of that pod) before going back to activeQ
    unschedulable  no node fitted; waits until a cluster event that could change
                   that (a node added or updated, a pod deleted, ...) for one of
                   the plugins that rejected it, or at most 60 s (the periodic flush)

If such an event happens *while* a pod is being scheduled, the pod goes to the
backoffQ instead of unschedulable when it fails, so that the event is not missed
(kube-scheduler's moveRequestCycle).
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from scheduler.podinfo import PodInfo

INITIAL_BACKOFF = 1.0
MAX_BACKOFF = 10.0
UNSCHEDULABLE_MAX_WAIT = 60.0


@dataclass
class QueuedPodInfo:
    pod: PodInfo
    timestamp: float                                  # when it (re)entered the queue
    attempts: int = 0
    unschedulable_plugins: set[str] = field(default_factory=set)

    def backoff_duration(self) -> float:
        return min(INITIAL_BACKOFF * 2 ** max(self.attempts - 1, 0), MAX_BACKOFF)

    def backoff_expiry(self) -> float:
        return self.timestamp + self.backoff_duration()


class SchedulingQueue:
    def __init__(self, interested_plugins: Callable[[str], set[str]] = lambda event: set(),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interested_plugins = interested_plugins
        self.clock = clock
        self._active: dict[str, tuple[int, QueuedPodInfo]] = {}
        self._active_heap: list[tuple[int, float, int, str]] = []
        self._backoff: dict[str, tuple[int, QueuedPodInfo]] = {}
        self._backoff_heap: list[tuple[float, int, str]] = []
        self.unschedulable: dict[str, QueuedPodInfo] = {}
        self._seq = itertools.count()
        self._wakeup = asyncio.Event()
        self.scheduling_cycle = 0
        self._move_request_cycle = -1

    def __len__(self) -> int:
        return len(self._active) + len(self._backoff) + len(self.unschedulable)

    def sizes(self) -> tuple[int, int, int]:
        return len(self._active), len(self._backoff), len(self.unschedulable)

    def __contains__(self, key: str) -> bool:
        return key in self._active or key in self._backoff or key in self.unschedulable

    # ---- entering and leaving -------------------------------------------------------------

    def add(self, pod: PodInfo) -> None:
        """A new pending pod (or one seen again after a restart of its lifecycle)."""
        self.delete(pod.key)
        self._push_active(QueuedPodInfo(pod, self.clock()))

    def update(self, pod: PodInfo) -> None:
        """The pod object changed. An unschedulable pod whose spec changed deserves a new try."""
        for table in (self._active, self._backoff):
            if pod.key in table:
                table[pod.key][1].pod = pod
                return
        queued = self.unschedulable.get(pod.key)
        if queued is None:
            self.add(pod)
            return
        spec_changed = queued.pod.obj.get("spec") != pod.obj.get("spec") or queued.pod.labels != pod.labels
        queued.pod = pod
        if spec_changed:
            del self.unschedulable[pod.key]
            self._requeue(queued)

    def delete(self, key: str) -> None:
        self._active.pop(key, None)
        self._backoff.pop(key, None)
        self.unschedulable.pop(key, None)

    async def pop(self) -> QueuedPodInfo:
        """The next pod to schedule; waits while activeQ is empty."""
        while True:
            while self._active_heap:
                _, _, seq, key = heapq.heappop(self._active_heap)
                entry = self._active.get(key)
                if entry is not None and entry[0] == seq:
                    del self._active[key]
                    queued = entry[1]
                    queued.attempts += 1
                    self.scheduling_cycle += 1
                    return queued
            self._wakeup.clear()
            await self._wakeup.wait()

    # ---- after a failed attempt -------------------------------------------------------------

    def add_unschedulable(self, queued: QueuedPodInfo, plugins: Iterable[str], cycle: int) -> None:
        """No node fitted in scheduling cycle `cycle`; `plugins` are those that said no."""
        if queued.pod.key in self:
            return
        queued.unschedulable_plugins = set(plugins)
        queued.timestamp = self.clock()
        if self._move_request_cycle >= cycle:
            self._push_backoff(queued)        # something changed meanwhile: retry after the backoff
        else:
            self.unschedulable[queued.pod.key] = queued

    def add_backoff(self, queued: QueuedPodInfo) -> None:
        """An error (e.g. the binding failed): retry after the backoff."""
        if queued.pod.key not in self:
            queued.timestamp = self.clock()
            self._push_backoff(queued)

    # ---- cluster events and periodic flushes ------------------------------------------------

    def move_all_to_active_or_backoff(self, event: str) -> int:
        """A cluster event happened: requeue the unschedulable pods it may help."""
        interested = self.interested_plugins(event)
        moved = [q for q in self.unschedulable.values()
                 if not q.unschedulable_plugins or q.unschedulable_plugins & interested]
        for queued in moved:
            del self.unschedulable[queued.pod.key]
            self._requeue(queued)
        self._move_request_cycle = self.scheduling_cycle
        return len(moved)

    def flush_backoff_completed(self) -> None:
        now = self.clock()
        while self._backoff_heap and self._backoff_heap[0][0] <= now:
            _, seq, key = heapq.heappop(self._backoff_heap)
            entry = self._backoff.get(key)
            if entry is not None and entry[0] == seq:
                del self._backoff[key]
                self._push_active(entry[1])

    def flush_unschedulable_left_over(self) -> None:
        now = self.clock()
        stale = [q for q in self.unschedulable.values() if now - q.timestamp > UNSCHEDULABLE_MAX_WAIT]
        for queued in stale:
            del self.unschedulable[queued.pod.key]
            self._requeue(queued)

    async def run_flushes(self, backoff_period: float = 1.0, unschedulable_period: float = 30.0) -> None:
        """kube-scheduler's two background loops (1 s and 30 s)."""
        next_unschedulable_flush = self.clock() + unschedulable_period
        while True:
            await asyncio.sleep(backoff_period)
            self.flush_backoff_completed()
            if self.clock() >= next_unschedulable_flush:
                self.flush_unschedulable_left_over()
                next_unschedulable_flush = self.clock() + unschedulable_period

    # ---- heaps --------------------------------------------------------------------------

    def _requeue(self, queued: QueuedPodInfo) -> None:
        if queued.backoff_expiry() > self.clock():
            self._push_backoff(queued)
        else:
            self._push_active(queued)

    def _push_active(self, queued: QueuedPodInfo) -> None:
        seq = next(self._seq)
        self._active[queued.pod.key] = (seq, queued)
        heapq.heappush(self._active_heap, (-queued.pod.priority, queued.timestamp, seq, queued.pod.key))
        self._wakeup.set()

    def _push_backoff(self, queued: QueuedPodInfo) -> None:
        seq = next(self._seq)
        self._backoff[queued.pod.key] = (seq, queued)
        heapq.heappush(self._backoff_heap, (queued.backoff_expiry(), seq, queued.pod.key))
