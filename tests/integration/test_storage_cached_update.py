"""Store.guaranteed_update starting from a cached object (what the binding does with the watch
cache's copy of the pod): one transaction when the copy is current, and the right result when
it is stale, as Kubernetes' GuaranteedUpdate with a cached existing object."""
from __future__ import annotations

import aetcd
import orjson

from apiserver.storage import Store
from minikube_py.api import errors
from tests.helpers import resource_type_of_kind

CONFIGMAPS = resource_type_of_kind("v1", "ConfigMap")


def _copy(obj):
    return orjson.loads(orjson.dumps(obj))


async def test_update_from_current_and_stale_cached_objects(etcd, unique, monkeypatch):
    host, port = etcd.endpoint.removeprefix("http://").split(":")
    async with aetcd.Client(host=host, port=int(port)) as client:
        store = Store(client, f"/test-cached-{unique}")
        reads: list[bytes] = []
        original_range = store._range

        async def counting_range(key, *args, **kwargs):
            reads.append(key)
            return await original_range(key, *args, **kwargs)
        monkeypatch.setattr(store, "_range", counting_range)
        try:
            created = await store.create(CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap", "data": {"n": "0"},
                                                      "metadata": {"name": "c", "namespace": "default"}})
            seen: list[str] = []

            async def add_ten(obj):
                seen.append(obj["data"]["n"])
                obj["data"]["n"] = str(int(obj["data"]["n"]) + 10)
                return obj

            current = await store.guaranteed_update(CONFIGMAPS, "default", "c", add_ten, cached=_copy(created))
            assert reads == [] and seen == ["0"] and current["data"]["n"] == "10"     # no read at all

            stale = _copy(created)          # somebody else wrote since: the compare fails, one fresh read
            seen.clear()
            current = await store.guaranteed_update(CONFIGMAPS, "default", "c", add_ten, cached=stale)
            assert seen == ["0", "10"] and current["data"]["n"] == "20"

            async def refuse_below_ten(obj):   # a refusal based on a stale copy is checked on a fresh read
                if int(obj["data"]["n"]) < 10:
                    raise errors.conflict("configmaps", "c", "too small")
                obj["data"]["checked"] = "yes"
                return obj
            current = await store.guaranteed_update(CONFIGMAPS, "default", "c", refuse_below_ten, cached=stale)
            assert current["data"] == {"n": "20", "checked": "yes"}

            async def unchanged(obj):
                return None if obj["data"]["n"] == "0" else obj
            got = await store.guaranteed_update(CONFIGMAPS, "default", "c", unchanged, cached=stale)
            assert got["data"]["n"] == "20"                     # not the stale copy's "0"
        finally:
            await client.delete_prefix(f"/test-cached-{unique}/".encode())
