"""Informers against the real API server: convergence under churn, across an API server
restart, and after an etcd compaction that forces a relist (410 Expired)."""
from __future__ import annotations

import asyncio
import random

import aetcd
import orjson
import pytest

from minikube_py.api.errors import ApiError
from minikube_py.client import ApiClient, ClientConfig
from minikube_py.client.informer import DeletedFinalStateUnknown, SharedInformer, SharedInformerFactory
from minikube_py.client.store import NODE_NAME_INDEX, key_of
from minikube_py.testing import eventually
from tests.helpers import pod


class HandlerView:
    """The cache a controller would build from handler calls alone; it records every inconsistency."""

    def __init__(self) -> None:
        self.objects: dict[str, dict] = {}
        self.problems: list[str] = []
        self.tombstones: list[DeletedFinalStateUnknown] = []

    def on_add(self, obj: dict) -> None:
        key = key_of(obj)
        if key in self.objects:
            self.problems.append(f"add for known {key}")
        self.objects[key] = obj

    async def on_update(self, old: dict, new: dict) -> None:    # async handlers work too
        key = key_of(new)
        if self.objects.get(key) != old:
            self.problems.append(f"update of {key} from a state we did not have")
        self.objects[key] = new

    def on_delete(self, obj: dict) -> None:
        if isinstance(obj, DeletedFinalStateUnknown):
            self.tombstones.append(obj)
        if self.objects.pop(key_of(obj), None) is None:
            self.problems.append(f"delete of unknown {key_of(obj)}")

    def attach(self, informer: SharedInformer):
        return informer.add_event_handler(self.on_add, self.on_update, self.on_delete)


def cm(name: str, value: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": value}}


def versions(objects) -> dict[str, str]:
    return {key_of(o): o["metadata"]["resourceVersion"] for o in objects}


async def converged(informer: SharedInformer, view: HandlerView) -> dict[str, str]:
    """Poll (bounded) until the store and the handler view both equal a fresh list."""
    async def same_as_a_fresh_list() -> tuple[dict[str, str]] | None:      # a tuple: {} is a valid answer
        items, _ = await informer.client.list_all()
        expected = versions(items)
        if versions(informer.list()) == expected and versions(view.objects.values()) == expected:
            return (expected,)
        return None
    (expected,) = await eventually(same_as_a_fresh_list, "the store and the handlers to converge", timeout=10,
                                interval=0.05, explain=lambda: f"store={versions(informer.list())} "
                                                               f"handlers={versions(view.objects.values())}")
    assert not view.problems, view.problems
    return expected


async def churn(client, worker: int, rounds: int, seed: int) -> None:
    """Random creates, updates and deletes on a few shared names; conflicts and misses are normal."""
    rng = random.Random(seed)
    for _ in range(rounds):
        name = f"c{rng.randrange(8)}"
        try:
            action = rng.choice(("create", "update", "update", "delete"))
            if action == "create":
                await client.create(cm(name, f"w{worker}"))
            elif action == "update":
                await client.patch(name, {"data": {"v": f"w{worker}-{rng.random()}"}})
            else:
                await client.delete(name)
        except ApiError as e:
            # 503: the API server is restarting. "ExtrasConflict" 500: a known API server race
            # (a create losing to a concurrent delete of the same name), reported upstream.
            assert e.code in (404, 409, 503) or "ExtrasConflict" in e.message, e


@pytest.fixture
async def api(apiserver):
    async with ApiClient(ClientConfig(server=apiserver.url)) as client:
        yield client


async def test_informer_converges_under_concurrent_churn(api, ns):
    configmaps = api.resource("configmaps", ns)
    await configmaps.create(cm("before", "0"))
    informer = SharedInformer(configmaps, page_size=2)
    view = HandlerView()
    view.attach(informer)
    informer.start()
    try:
        await informer.wait_for_sync(10)
        assert informer.has_synced() and (informer.get("before", ns) or {}).get("data") == {"v": "0"}
        await asyncio.gather(*(churn(configmaps, w, 40, seed=w) for w in range(5)))
        await converged(informer, view)
        late = HandlerView()                    # a handler added late gets adds for the cache
        await late_registration_drained(informer, late)
        assert versions(late.objects.values()) == versions(informer.list())
    finally:
        await informer.stop()


async def late_registration_drained(informer: SharedInformer, view: HandlerView) -> None:
    registration = view.attach(informer)
    await asyncio.wait_for(registration.drained(), 10)


async def test_informer_survives_an_api_server_restart(api, ns, apiserver):
    configmaps = api.resource("configmaps", ns)
    informer = SharedInformer(configmaps)
    view = HandlerView()
    view.attach(informer)
    informer.start()
    try:
        await informer.wait_for_sync(10)
        writers = [asyncio.create_task(churn(configmaps, w, 30, seed=100 + w)) for w in range(3)]
        await asyncio.to_thread(apiserver.restart)
        await asyncio.gather(*writers)
        await configmaps.create(cm("after-restart", "1"))
        final = await converged(informer, view)
        assert f"{ns}/after-restart" in final
    finally:
        await informer.stop()


async def test_crash_and_compaction_force_a_relist_that_delivers_the_difference(api, ns, apiserver, etcd):
    configmaps = api.resource("configmaps", ns)
    for name in ("keep", "change", "vanish"):
        await configmaps.create(cm(name, "0"))
    informer = SharedInformer(configmaps, backoff_base=0.05)
    view = HandlerView()
    view.attach(informer)
    informer.start()
    try:
        await informer.wait_for_sync(10)
        await converged(informer, view)
        lists_before = informer.list_count
        # Behind the informer's back: the API server crashes (SIGKILL breaks the watch),
        # etcd is changed directly and compacted, then the API server comes back.
        apiserver.process.kill()
        await asyncio.to_thread(apiserver.process.wait)
        await change_etcd_directly(etcd, f"{apiserver.prefix}/configmaps/{ns}")
        await asyncio.to_thread(apiserver.start)
        final = await converged(informer, view)
        assert set(final) == {f"{ns}/keep", f"{ns}/change"}
        assert (informer.get("change", ns) or {}).get("data") == {"v": "changed in etcd"}
        assert [t.key for t in view.tombstones] == [f"{ns}/vanish"]
        assert view.tombstones[0]["data"] == {"v": "0"}       # the last state we knew
        assert informer.list_count > lists_before
    finally:
        await informer.stop()


async def change_etcd_directly(etcd, prefix: str) -> None:
    host, port = etcd.endpoint.removeprefix("http://").split(":")
    async with aetcd.Client(host=host, port=int(port)) as client:
        changed = await client.get(f"{prefix}/change".encode())
        obj = orjson.loads(changed.value)
        obj["data"] = {"v": "changed in etcd"}
        await client.put(f"{prefix}/change".encode(), orjson.dumps(obj))
        await client.delete(f"{prefix}/vanish".encode())
        revision = (await client.put(f"{prefix}-marker".encode(), b"x")).header.revision
        await client.delete(f"{prefix}-marker".encode())
        await client.compact(revision)


async def test_factory_shares_informers_and_indexes_pods_by_node(api, ns):
    factory = SharedInformerFactory(api)
    pods = factory.informer("pods", ns)
    assert factory.informer("po", ns) is pods
    assert factory.informer("pods", ns, label_selector="a=b") is not pods
    await api.resource("pods", ns).create(pod("on-n1", node="n1"))
    await api.resource("pods", ns).create(pod("floating"))
    factory.start()
    try:
        await factory.wait_for_cache_sync(10)
        assert [p["metadata"]["name"] for p in pods.by_index(NODE_NAME_INDEX, "n1")] == ["on-n1"]
        assert len(pods.by_index("namespace", ns)) == 2
        selected = factory.informer("pods", ns, label_selector="a=b")     # started by the running factory
        await selected.wait_for_sync(10)
        assert selected.list() == []
    finally:
        await factory.stop()


async def test_resync_redelivers_cached_objects(api, ns):
    configmaps = api.resource("configmaps", ns)
    await configmaps.create(cm("r", "1"))
    informer = SharedInformer(configmaps, resync_period=0.05)
    resynced = asyncio.Event()
    informer.add_event_handler(on_update=lambda old, new: resynced.set() if old is new else None)
    informer.start()
    try:
        await asyncio.wait_for(resynced.wait(), 10)
    finally:
        await informer.stop()
