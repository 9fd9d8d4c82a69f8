"""The node's containers as the agent last saw them: kubelet's pod cache (kubecontainer.Cache).

Listing Docker costs a round trip plus an inspect per changed container, so
only the PLEG lists, once a period (`replace`). What the runtime does itself
(create, start, stop, remove) is written through at once (`put`, `drop`), so a
pod worker reading `pod(uid)` right after starting a container sees it without
waiting for the next relist (kubelet's Evented PLEG gets the same from the
runtime's container events). Pod workers therefore never list the runtime.

A listing takes time, and a change made while it was in flight must not be
undone by it: every change is stamped with a generation, and `replace` keeps
the view's own entry for each container changed after the listing began.
"""
from __future__ import annotations

from agent.kubelet.runtime.types import ContainerRecord


class ContainerView:
    def __init__(self) -> None:
        self._records: dict[str, ContainerRecord] = {}
        self._changed: dict[str, int] = {}       # container id -> generation of our last change
        self._generation = 0

    def begin_listing(self) -> int:
        """Call before asking the runtime for a listing; hand the result to `replace`."""
        return self._generation

    def replace(self, listed: list[ContainerRecord], since: int) -> None:
        """The listing becomes the view, except for containers we changed after `since`."""
        recent = {cid for cid, generation in self._changed.items() if generation > since}
        records = {r.id: r for r in listed if r.id not in recent}
        records.update({cid: self._records[cid] for cid in recent if cid in self._records})
        self._records = records
        self._changed = {cid: self._changed[cid] for cid in recent}

    def put(self, record: ContainerRecord) -> None:
        self._generation += 1
        self._records[record.id] = record
        self._changed[record.id] = self._generation

    def drop(self, container_id: str) -> None:
        self._generation += 1
        self._records.pop(container_id, None)
        self._changed[container_id] = self._generation

    def pod(self, pod_uid: str | None = None) -> list[ContainerRecord]:
        """The containers of one pod (all when None), oldest first."""
        found = [r for r in self._records.values() if pod_uid is None or r.pod_uid == pod_uid]
        return sorted(found, key=lambda r: r.created)
