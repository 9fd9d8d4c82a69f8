"""ApiClient / ResourceClient against the real API server: verbs, paths, errors, streams, retries."""
from __future__ import annotations

import contextlib

import pytest

from minikube_py.api.errors import ApiError
from minikube_py.client import ApiClient, ClientConfig
from tests.helpers import deployment, pod


@pytest.fixture
async def api(apiserver):
    async with ApiClient(ClientConfig(server=apiserver.url)) as client:
        yield client


def cm(name: str, labels: dict | None = None, **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels or {}},
            "data": data}


async def test_crud_and_patches(api, ns):
    cms = api.resource("configmaps", ns)
    created = await cms.create(cm("a", {"app": "x"}, k="1"))
    assert created["metadata"]["namespace"] == ns
    assert (await cms.get("a"))["data"] == {"k": "1"}
    created["data"]["k"] = "2"
    updated = await cms.update(created)
    with pytest.raises(ApiError) as stale:
        await cms.update(created)            # created's resourceVersion is stale now
    assert (stale.value.code, stale.value.reason) == (409, "Conflict")
    assert (await cms.patch("a", {"data": {"m": "3"}}))["data"] == {"k": "2", "m": "3"}
    assert (await cms.patch("a", [{"op": "remove", "path": "/data/m"}], "json"))["data"] == {"k": "2"}
    assert (await cms.patch("a", {"metadata": {"labels": {"b": "y"}}}, "strategic"))["metadata"]["labels"] == \
        {"app": "x", "b": "y"}
    with pytest.raises(ApiError) as precondition:
        await cms.delete("a", preconditions={"resourceVersion": updated["metadata"]["resourceVersion"]})
    assert precondition.value.code == 409
    await cms.delete("a")
    with pytest.raises(ApiError) as missing:
        await cms.get("a")
    assert (missing.value.code, missing.value.reason) == (404, "NotFound")
    assert (missing.value.details or {}).get("name") == "a"


async def test_paths_groups_and_all_namespaces(api, ns):
    deploys = api.resource("deploy", ns)
    assert deploys.collection_path() == f"/apis/apps/v1/namespaces/{ns}/deployments"
    assert api.resource("pods").collection_path() == "/api/v1/pods"
    assert api.resource("Node", "ignored").object_path("n1", subresource="status") == "/api/v1/nodes/n1/status"
    await deploys.create(deployment("web", replicas=2))
    scale = await deploys.get_subresource("web", "scale")
    assert scale["spec"]["replicas"] == 2
    scale["spec"]["replicas"] = 3
    await deploys.put_subresource("web", "scale", scale)
    await deploys.patch_subresource("web", "scale", {"spec": {"replicas": 4}})
    assert (await deploys.get("web"))["spec"]["replicas"] == 4
    items, rv = await api.resource("deployments").list_all(field_selector=f"metadata.namespace={ns}")
    assert [d["metadata"]["name"] for d in items] == ["web"] and int(rv) > 0
    with pytest.raises(ValueError):
        api.resource("gizmos")
    with pytest.raises(ValueError):
        await api.resource("pods").get("needs-a-namespace")


async def test_paging_selectors_and_delete_collection(api, ns):
    cms = api.resource("configmaps", ns)
    for i in range(7):
        await cms.create(cm(f"c{i}", {"tier": "a" if i % 2 else "b"}))
    page = await cms.list(limit=3)
    assert len(page["items"]) == 3 and page["metadata"]["continue"]
    items, _ = await cms.list_all(limit=2)
    assert sorted(c["metadata"]["name"] for c in items) == [f"c{i}" for i in range(7)]
    odd, _ = await cms.list_all(label_selector="tier=a", limit=2)
    assert len(odd) == 3
    await cms.delete_collection(label_selector="tier=a")
    assert len((await cms.list())["items"]) == 4


async def test_status_and_binding_subresources(api, ns):
    pods = api.resource("pods", ns)
    await pods.create(pod("p"))
    await pods.post_subresource("p", "binding", {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"},
                                                 "target": {"kind": "Node", "name": "node-1"}})
    bound = await pods.patch_status("p", {"status": {"phase": "Running"}})
    assert bound["spec"]["nodeName"] == "node-1" and bound["status"]["phase"] == "Running"
    bound["status"]["phase"] = "Succeeded"
    assert (await pods.update_status(bound))["status"]["phase"] == "Succeeded"


async def test_table_and_invalid_object(api, ns):
    cms = api.resource("cm", ns)
    await cms.create(cm("t1"))
    table = await cms.get_table()
    assert table["kind"] == "Table" and [r["cells"][0] for r in table["rows"]] == ["t1"]
    assert (await cms.get_table("t1"))["kind"] == "Table"
    with pytest.raises(ApiError) as invalid:
        await cms.create(cm("Bad_Name"))
    assert invalid.value.code == 422 and invalid.value.reason == "Invalid"


async def test_non_status_error_keeps_the_code(api):
    with pytest.raises(ApiError) as info:
        await api.request("GET", "/no/such/path")
    assert info.value.code == 404


async def test_watch_yields_events_and_ends_with_timeout(api, ns):
    cms = api.resource("configmaps", ns)
    rv = (await cms.list())["metadata"]["resourceVersion"]
    await cms.create(cm("w1"))
    await cms.delete("w1")
    seen = [(e["type"], e["object"]["metadata"]["name"])
            async for e in cms.watch(resource_version=rv, timeout_seconds=1)]
    assert seen == [("ADDED", "w1"), ("DELETED", "w1")]


async def test_bookmarks_and_early_close(api, ns):
    stream = api.resource("configmaps", ns).watch(allow_bookmarks=True, resource_version="0")
    async with contextlib.aclosing(stream):
        async for event in stream:
            if event["type"] == "BOOKMARK":
                break
    assert int(event["object"]["metadata"]["resourceVersion"]) > 0


async def test_unreachable_server_is_503_after_retries():
    from minikube_py.testing import free_port
    config = ClientConfig(server=f"http://127.0.0.1:{free_port()}")
    async with ApiClient(config, retries=2, backoff_base=0.01) as api:
        with pytest.raises(ApiError) as info:
            await api.resource("namespaces").list()
        assert (info.value.code, info.value.reason) == (503, "ServiceUnavailable")
        with pytest.raises(ApiError):
            await api.resource("namespaces").create({"metadata": {"name": "x"}})


async def test_bearer_token_is_sent(apiserver):
    async with ApiClient(ClientConfig(server=apiserver.url, token="s3cret")) as api:
        assert api._ensure_session().headers["Authorization"] == "Bearer s3cret"
        assert (await api.request("GET", "/version"))["major"]
        assert await api.request("GET", "/healthz") == "ok"
        assert await api.request_text("GET", "/healthz") == "ok"
