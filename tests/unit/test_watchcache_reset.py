"""The watch cache starts over when etcd loses a previous value (compaction): every watcher
gets 410 Expired, and the namespace mirror is read anew instead of keeping what it had.

A fake etcd (a scripted watch stream and a store whose list answers from a dict) isolates
the cache's logic; tests/integration/test_watch_compaction.py does it for real."""
from __future__ import annotations

import asyncio
import json
from typing import Any

import orjson
import pytest
from aetcd import rpc
from aetcd.rtypes import Event

from apiserver.watchcache import PrevValueLost, WatchCache
from minikube_py.api.resources import known
from minikube_py.testing import eventually

PREFIX = "/registry"
CM = known("configmaps")


def ns_value(name: str, phase: str = "Active") -> bytes:
    return orjson.dumps({"kind": "Namespace", "metadata": {"name": name}, "status": {"phase": phase}})


def kv(key: str, value: bytes = b"", create: int = 0, mod: int = 0) -> Any:
    return rpc.KeyValue(key=f"{PREFIX}/{key}".encode(), value=value, create_revision=create, mod_revision=mod)


class ScriptedStream:
    """One etcd watch stream: the given events, then silence until cancelled."""

    def __init__(self, events: list[Event]) -> None:
        self.events = events
        self.cancelled = asyncio.Event()

    def __aiter__(self) -> ScriptedStream:
        return self

    async def __anext__(self) -> Event:
        if self.events:
            return self.events.pop(0)
        await self.cancelled.wait()
        raise StopAsyncIteration

    async def cancel(self) -> None:
        self.cancelled.set()


class FakeClient:
    def __init__(self, streams: list[ScriptedStream]) -> None:
        self.streams = streams
        self.start_revisions: list[int] = []

    async def watch(self, key: bytes, range_end: bytes, start_revision: int, prev_kv: bool) -> ScriptedStream:
        self.start_revisions.append(start_revision)
        return self.streams.pop(0) if self.streams else ScriptedStream([])


class FakeStore:
    """What etcd holds now: namespaces by name, at `revision`."""

    prefix = PREFIX

    def __init__(self, client: FakeClient, namespaces: dict[str, bytes], revision: int) -> None:
        self.client = client
        self.namespaces = namespaces
        self.revision = revision

    async def list(self, rt: Any, namespace: str | None, *, revision: int = 0) -> tuple[list[dict], int, None]:
        items = [orjson.loads(v) for v in self.namespaces.values()] if rt.plural == "namespaces" else []
        return items, self.revision, None

    def collection_prefix(self, rt: Any, namespace: str | None = None) -> bytes:
        return f"{PREFIX}/{rt.plural}/".encode()


def lines(watcher: Any) -> list[Any]:
    out = []
    while not watcher.queue.empty():
        line = watcher.queue.get_nowait()
        out.append(None if line is None else json.loads(line))
    return out


def test_an_update_or_delete_without_its_previous_value_is_refused_not_guessed() -> None:
    cache = WatchCache(FakeStore(FakeClient([]), {}, 1))
    created = Event(rpc.Event.PUT, kv("configmaps/a/x", b"{}", create=7, mod=7), None)
    decoded = cache.decode(created)
    assert decoded is not None and decoded[1].type == "ADDED"   # a create has no previous value
    for lost in (Event(rpc.Event.DELETE, kv("configmaps/a/x", mod=9), None),
                 Event(rpc.Event.PUT, kv("configmaps/a/x", b"{}", create=7, mod=8), None)):
        with pytest.raises(PrevValueLost, match="modRevision="):
            cache.decode(lost)


async def test_a_lost_delete_restarts_the_cache_from_a_fresh_read() -> None:
    # etcd at revision 10 holds namespace "gone" (Active); then it is deleted (revision 11)
    # and etcd hands us the DELETE without the previous value.
    lost_delete = Event(rpc.Event.DELETE, kv("namespaces/gone", mod=11), None)
    client = FakeClient([ScriptedStream([lost_delete])])
    store = FakeStore(client, {"gone": ns_value("gone")}, revision=10)
    cache = WatchCache(store)
    await cache.start()
    watcher = cache.watch(CM, lambda obj: True, after_revision=10)
    assert "gone" in cache.namespaces
    # What etcd holds by the time the cache reads again: "gone" is gone, "new" was created.
    store.namespaces, store.revision = {"new": ns_value("new")}, 12
    client.streams.append(ScriptedStream([]))
    try:
        async def watching_again() -> bool:
            return len(client.start_revisions) == 2

        await eventually(watching_again, "the cache to watch again")
        assert client.start_revisions == [11, 13]       # from after the fresh read's revision
        assert set(cache.namespaces) == {"new"}
        assert cache.revision == 12 and cache.floor["configmaps"] == 12
        events = lines(watcher)
        assert events[0]["type"] == "ERROR" and events[0]["object"]["code"] == 410
        assert events[-1] is None and cache.watcher_count() == 0
    finally:
        await cache.stop()


async def test_a_lost_event_does_not_count_as_applied() -> None:
    """wait_until(revision of the lost event) must not return before the fresh read."""
    lost_update = Event(rpc.Event.PUT, kv("namespaces/x", ns_value("x", "Terminating"), create=5, mod=11), None)
    client = FakeClient([ScriptedStream([lost_update])])
    store = FakeStore(client, {"x": ns_value("x")}, revision=10)
    cache = WatchCache(store)
    await cache.start()
    store.namespaces, store.revision = {"x": ns_value("x", "Terminating")}, 11
    try:
        assert await cache.wait_until(11, timeout=10)
        assert cache.namespaces["x"]["status"]["phase"] == "Terminating"
    finally:
        await cache.stop()
