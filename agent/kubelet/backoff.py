"""Back-off: kubelet's crash loop back-off and image pull back-off (util/flowcontrol.Backoff).

Crash loop: a container that exited is restarted at once the first time, then
after base, 2*base, 4*base ... capped at max (10 s doubling to 5 min by
default), counted from when it exited. We derive the delay from the exited
container's restart count and finish time, both kept by the runtime, so the
back-off survives an agent restart without any state of our own.
"""
from __future__ import annotations

import time

from agent.kubelet.runtime.types import ContainerRecord
from minikube_py.api.times import parse_time


def crash_backoff_delay(restart_count: int, base: float, cap: float) -> float:
    """How long after the exit of a container that had `restart_count` restarts the next may start."""
    return 0.0 if restart_count == 0 else min(base * 2 ** (restart_count - 1), cap)


def crash_backoff_remaining(record: ContainerRecord, base: float, cap: float, now: float | None = None) -> float:
    finished = parse_time(record.finished_at)
    ready_at = (finished.timestamp() if finished else 0.0) + crash_backoff_delay(record.restart_count, base, cap)
    return max(0.0, ready_at - (time.time() if now is None else now))


class ImagePullBackoff:
    """Per image: after a failed pull, wait base, 2*base ... before the next try."""

    def __init__(self, base: float, cap: float) -> None:
        self.base, self.cap = base, cap
        self._failures: dict[str, tuple[int, float]] = {}    # image -> (failures, when the last failed)

    def failed(self, image: str) -> None:
        count, _ = self._failures.get(image, (0, 0.0))
        self._failures[image] = (count + 1, time.monotonic())

    def succeeded(self, image: str) -> None:
        self._failures.pop(image, None)

    def remaining(self, image: str) -> float:
        if image not in self._failures:
            return 0.0
        count, when = self._failures[image]
        delay = min(self.base * 2 ** (count - 1), self.cap)
        return max(0.0, when + delay - time.monotonic())
