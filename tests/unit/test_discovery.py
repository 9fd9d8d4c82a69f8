"""Discovery endpoints over real HTTP on loopback (aiohttp's TestServer)."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from apiserver import discovery
from minikube_py.api.resources import GROUP_VERSIONS, RESOURCES

AGGREGATED_ACCEPT = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                     "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
                     "application/json")


def make_app() -> web.Application:
    app = web.Application()
    app.add_routes(discovery.routes)
    return app


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(make_app(), host="127.0.0.1")) as test_client:
        yield test_client


async def get_json(client: TestClient, path: str, status: int = 200, **headers: str) -> dict:
    response = await client.get(path, headers=headers)
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    return await response.json()


def by_name(resource_list: dict) -> dict[str, dict]:
    return {r["name"]: r for r in resource_list["resources"]}


async def test_version(client: TestClient) -> None:
    info = await get_json(client, "/version")
    assert (info["major"], info["minor"], info["gitVersion"]) == ("1", "33", "v1.33.0-minikube-py")
    assert {"platform", "goVersion", "compiler", "buildDate", "gitCommit"} <= info.keys()


async def test_core_api_versions(client: TestClient) -> None:
    body = await get_json(client, "/api")
    assert body["kind"] == "APIVersions" and body["versions"] == ["v1"]
    (address,) = body["serverAddressByClientCIDRs"]
    assert address["clientCIDR"] == "0.0.0.0/0"
    assert address["serverAddress"] == f"127.0.0.1:{client.port}"


async def test_group_list_follows_the_registry(client: TestClient) -> None:
    body = await get_json(client, "/apis")
    assert body["kind"] == "APIGroupList"
    assert [g["name"] for g in body["groups"]] == [g for g, _ in GROUP_VERSIONS]
    apps = body["groups"][0]
    assert apps["versions"] == [{"groupVersion": "apps/v1", "version": "v1"}]
    assert apps["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}


async def test_one_group(client: TestClient) -> None:
    body = await get_json(client, "/apis/coordination.k8s.io")
    assert body["kind"] == "APIGroup" and body["name"] == "coordination.k8s.io"
    assert body["preferredVersion"]["groupVersion"] == "coordination.k8s.io/v1"


async def test_core_resources(client: TestClient) -> None:
    body = await get_json(client, "/api/v1")
    assert body["kind"] == "APIResourceList" and body["groupVersion"] == "v1"
    resources = by_name(body)
    pods = resources["pods"]
    assert pods["kind"] == "Pod" and pods["namespaced"] is True and pods["singularName"] == "pod"
    assert pods["shortNames"] == ["po"] and pods["categories"] == ["all"]
    assert set(pods["verbs"]) == {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
    assert pods["storageVersionHash"]
    assert resources["nodes"]["namespaced"] is False
    assert resources["pods/status"] == {"name": "pods/status", "singularName": "", "namespaced": True,
                                        "kind": "Pod", "verbs": ["get", "patch", "update"]}
    assert resources["pods/binding"]["verbs"] == ["create"] and resources["pods/binding"]["kind"] == "Binding"
    assert resources["pods/log"]["verbs"] == ["get"]
    assert resources["namespaces/finalize"]["verbs"] == ["update"]
    assert "shortNames" not in resources["secrets"]


async def test_scale_subresource_speaks_autoscaling_scale(client: TestClient) -> None:
    resources = by_name(await get_json(client, "/apis/apps/v1"))
    scale = resources["deployments/scale"]
    assert (scale["group"], scale["version"], scale["kind"]) == ("autoscaling", "v1", "Scale")
    assert scale["verbs"] == ["get", "patch", "update"]
    assert resources["deployments"]["shortNames"] == ["deploy"]


async def test_every_registered_resource_is_discoverable(client: TestClient) -> None:
    for rt in RESOURCES:
        path = f"/apis/{rt.group}/{rt.version}" if rt.group else f"/api/{rt.version}"
        resources = by_name(await get_json(client, path))
        assert resources[rt.plural]["kind"] == rt.kind
        for sub in rt.subresources:
            assert f"{rt.plural}/{sub}" in resources


@pytest.mark.parametrize("path", ["/apis/nope", "/apis/nope/v1", "/apis/apps/v2", "/api/v2"])
async def test_unknown_group_or_version_is_a_404_status(client: TestClient, path: str) -> None:
    status = await get_json(client, path, status=404)
    assert status["kind"] == "Status" and status["reason"] == "NotFound" and status["code"] == 404


async def test_aggregated_discovery_request_gets_the_plain_form(client: TestClient) -> None:
    response = await client.get("/apis", headers={"Accept": AGGREGATED_ACCEPT})
    assert response.status == 200 and response.content_type == "application/json"
    assert (await response.json())["kind"] == "APIGroupList"


@pytest.mark.parametrize("endpoint", ["/healthz", "/livez", "/readyz"])
async def test_health_endpoints_say_ok(client: TestClient, endpoint: str) -> None:
    response = await client.get(endpoint)
    assert response.status == 200 and await response.text() == "ok"
    verbose = await client.get(endpoint + "?verbose")
    text = await verbose.text()
    assert "[+]ping ok" in text and text.rstrip().endswith("check passed")


@pytest.mark.filterwarnings("ignore::aiohttp.web.NotAppKeyWarning")   # the app's key is the string "ready"
async def test_readyz_asks_the_app() -> None:
    app = make_app()
    app["ready"] = lambda: False
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        not_ready = await client.get("/readyz")
        assert not_ready.status == 500 and "[-]ready failed" in await not_ready.text()
        assert (await client.get("/livez")).status == 200      # alive, just not ready
        verbose = await (await client.get("/readyz?verbose")).text()
        assert "[+]ping ok" in verbose and "readyz check failed" in verbose


async def test_openapi_json_and_protobuf(client: TestClient) -> None:
    as_json = await client.get("/openapi/v2", headers={"Accept": "application/json"})
    assert as_json.content_type == "application/json"
    assert "io.k8s.api.core.v1.Pod" in (await as_json.json())["definitions"]
    as_proto = await client.get("/openapi/v2", headers={
        "Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"})
    assert as_proto.status == 200 and as_proto.content_type == "application/octet-stream"
    assert b"io.k8s.api.core.v1.Pod" in await as_proto.read()
    assert as_proto.headers["ETag"] != as_json.headers["ETag"]
    again = await client.get("/openapi/v2", headers={"If-None-Match": as_json.headers["ETag"]})
    assert again.status == 304


async def test_python_kubernetes_client_understands_discovery(client: TestClient, tmp_path: Path) -> None:
    """The official client's DynamicClient builds its resource map from these endpoints."""
    from kubernetes import client as k8s
    from kubernetes.dynamic import DynamicClient

    def discover() -> tuple[str, str, bool, str]:
        configuration = k8s.Configuration(host=f"http://127.0.0.1:{client.port}")
        with k8s.ApiClient(configuration) as api_client:
            version = k8s.VersionApi(api_client).get_code()
            dynamic = DynamicClient(api_client, cache_file=str(tmp_path / "discovery.json"))
            deployments = dynamic.resources.get(api_version="apps/v1", kind="Deployment")
            pods = dynamic.resources.get(api_version="v1", kind="Pod")
            return version.git_version, deployments.name, pods.namespaced, pods.short_names[0]

    # The client is synchronous: run it in a thread so the server keeps serving.
    assert await asyncio.to_thread(discover) == ("v1.33.0-minikube-py", "deployments", True, "po")
