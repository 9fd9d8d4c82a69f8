"""Store indexes and the informer's reflector logic against a scripted fake API:
410 Expired -> relist delivering the difference, bookmarks, broken watches."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from minikube_py.api.errors import ApiError
from minikube_py.client.informer import DeletedFinalStateUnknown, SharedInformer
from minikube_py.client.store import NODE_NAME_INDEX, Indexer, index_pods_by_node, key_of
from minikube_py.testing import eventually
from tests.helpers import resource_type


def obj(name: str, rv: int, ns: str | None = "d", node: str | None = None) -> dict[str, Any]:
    meta = {"name": name, "resourceVersion": str(rv), **({"namespace": ns} if ns else {})}
    return {"metadata": meta, "spec": {"nodeName": node} if node else {}}


def test_indexer_keys_and_indexes_follow_changes():
    store = Indexer()
    store.add_indexer(NODE_NAME_INDEX, index_pods_by_node)
    store.put(obj("a", 1, node="n1"))
    store.put(obj("b", 2, node="n1"))
    store.put(obj("c", 3, ns="other"))
    assert key_of(obj("n", 1, ns=None)) == "n" and "d/a" in store
    assert [key_of(o) for o in store.by_index(NODE_NAME_INDEX, "n1")] == ["d/a", "d/b"]
    store.put(obj("a", 4, node="n2"))                 # moved: index follows
    assert [key_of(o) for o in store.by_index(NODE_NAME_INDEX, "n1")] == ["d/b"]
    store.delete("d/b")
    assert store.index_values(NODE_NAME_INDEX) == ["n2"]
    assert [key_of(o) for o in store.by_index("namespace", "d")] == ["d/a"]
    store.add_indexer("rv", lambda o: [o["metadata"]["resourceVersion"]])   # built for existing objects
    assert store.by_index("rv", "3") == [store.get("c", "other")]


class FakeResource:
    """Plays list pages and watch streams from a script; records the calls."""

    def __init__(self, lists: list[tuple[list[dict], str]], watches: list[list[dict] | Exception]) -> None:
        self.rt = resource_type("pods")
        self.namespace = "d"
        self.lists, self.watches = lists, watches
        self.watch_versions: list[str] = []

    async def list_all(self, **_: Any) -> tuple[list[dict], str]:
        return self.lists.pop(0)

    async def watch(self, *, resource_version: str | None = None, **_: Any):
        self.watch_versions.append(resource_version)
        if not self.watches:
            await asyncio.Event().wait()          # an idle watch, until stopped
        script = self.watches.pop(0)
        if isinstance(script, Exception):
            raise script
        for event in script:
            yield event


async def run_until(informer: SharedInformer, done: Callable[[], bool]) -> None:
    informer.start()

    async def reached() -> bool:
        return done()
    try:
        await eventually(reached, "the informer to reach the condition", timeout=5, interval=0.01)
    finally:
        await informer.stop()


async def test_expired_watch_relists_and_delivers_only_the_difference():
    first = [obj("keep", 1), obj("change", 2), obj("vanish", 3)]
    second = [obj("keep", 1), obj("change", 7), obj("new", 8)]
    fake = FakeResource(lists=[(first, "3"), (second, "9")], watches=[
        [{"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "5"}}},
         {"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old"}}],
    ])
    informer = SharedInformer(fake)
    calls: list[tuple] = []
    informer.add_event_handler(lambda o: calls.append(("add", key_of(o))),
                               lambda old, new: calls.append(
                                   ("update", key_of(new), old["metadata"]["resourceVersion"])),
                               lambda o: calls.append(("delete", key_of(o), type(o).__name__)))
    await run_until(informer, lambda: len(fake.watch_versions) >= 2 and len(calls) >= 6)
    assert calls[:3] == [("add", "d/keep"), ("add", "d/change"), ("add", "d/vanish")]
    assert sorted(calls[3:]) == [("add", "d/new"), ("delete", "d/vanish", DeletedFinalStateUnknown.__name__),
                                 ("update", "d/change", "2")]
    assert fake.watch_versions == ["3", "9"]           # watched from each list's resourceVersion
    assert informer.list_count == 2
    assert sorted(informer.store.keys()) == ["d/change", "d/keep", "d/new"]


async def test_watch_events_bookmarks_and_rewatch_from_the_last_version():
    fake = FakeResource(lists=[([], "10")], watches=[
        [{"type": "ADDED", "object": obj("a", 11)}, {"type": "MODIFIED", "object": obj("a", 12)},
         {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "20"}}}],      # then the server ends it
        [{"type": "DELETED", "object": obj("a", 21)}],
    ])
    informer = SharedInformer(fake)
    deleted: list[dict] = []
    informer.add_event_handler(on_delete=deleted.append)
    await run_until(informer, lambda: len(fake.watch_versions) >= 3)
    assert fake.watch_versions == ["10", "20", "21"] and informer.list_count == 1
    assert deleted == [obj("a", 21)] and not isinstance(deleted[0], DeletedFinalStateUnknown)


async def test_a_broken_watch_relists_after_a_backoff():
    broken = ApiError(503, "ServiceUnavailable", "stream broken")
    fake = FakeResource(lists=[([obj("a", 1)], "1"), ([obj("a", 1)], "2")], watches=[broken])
    informer = SharedInformer(fake, backoff_base=0.001)
    adds: list[str] = []
    informer.add_event_handler(on_add=lambda o: adds.append(key_of(o)))
    await run_until(informer, lambda: fake.watch_versions == ["1", "2"])
    assert adds == ["d/a"] and informer.list_count == 2     # the unchanged object is not re-added


async def test_a_failing_handler_does_not_stop_the_others():
    fake = FakeResource(lists=[([obj("a", 1), obj("b", 2)], "2")], watches=[])
    informer = SharedInformer(fake)
    seen: list[str] = []
    informer.add_event_handler(on_add=lambda o: 1 / 0)
    informer.add_event_handler(on_add=lambda o: seen.append(key_of(o)))
    await run_until(informer, lambda: len(seen) == 2)
    assert informer.has_synced()
