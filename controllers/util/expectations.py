"""ControllerExpectations (client-go's pkg/controller/controller_utils.go).

An informer's cache lags behind the controller's own writes: right after a
ReplicaSet controller creates 3 pods, its cache may still show none, and a
naive second sync would create 3 more. So before writing, a controller
records what it expects to see ("3 creates", "these 2 deletes"); the informer
handlers tick them off as the pods appear or vanish; the controller only
resizes again when its expectations are met, or after EXPECTATIONS_TIMEOUT
(a watch event may have been lost, e.g. the pod was deleted by someone else
before we ever saw it), when it trusts the cache again.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

EXPECTATIONS_TIMEOUT = 5 * 60.0


@dataclass
class Expectation:
    creations: int = 0
    deletions: set[str] = field(default_factory=set)   # keys of pods we asked to delete
    set_at: float = field(default_factory=time.monotonic)

    def fulfilled(self) -> bool:
        return self.creations <= 0 and not self.deletions

    def expired(self, timeout: float) -> bool:
        return time.monotonic() - self.set_at > timeout


class Expectations:
    """Per controller key (e.g. "ns/web-5d4f8"): outstanding creates and deletes."""

    def __init__(self, timeout: float = EXPECTATIONS_TIMEOUT) -> None:
        self.timeout = timeout
        self._by_key: dict[str, Expectation] = {}

    def satisfied(self, key: str) -> bool:
        """True when the controller may act on its cache: nothing outstanding, never set, or expired."""
        expectation = self._by_key.get(key)
        return expectation is None or expectation.fulfilled() or expectation.expired(self.timeout)

    def expect_creations(self, key: str, count: int) -> None:
        self._by_key[key] = Expectation(creations=count)

    def expect_deletions(self, key: str, pod_keys: list[str]) -> None:
        self._by_key[key] = Expectation(deletions=set(pod_keys))

    def creation_observed(self, key: str, count: int = 1) -> None:
        expectation = self._by_key.get(key)
        if expectation is not None:
            expectation.creations -= count

    def deletion_observed(self, key: str, pod_key: str) -> None:
        expectation = self._by_key.get(key)
        if expectation is not None:
            expectation.deletions.discard(pod_key)

    def forget(self, key: str) -> None:
        self._by_key.pop(key, None)

    def outstanding_deletions(self, key: str) -> tuple[int, set[str]]:
        """(creates, keys of pods being deleted) still expected."""
        expectation = self._by_key.get(key)
        return (max(expectation.creations, 0), set(expectation.deletions)) if expectation else (0, set())

    def outstanding(self, key: str) -> tuple[int, int]:
        """(creates, deletes) still expected; for logs and tests."""
        expectation = self._by_key.get(key)
        return (max(expectation.creations, 0), len(expectation.deletions)) if expectation else (0, 0)
