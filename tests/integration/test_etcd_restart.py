"""The API server survives an etcd restart: Status errors while etcd is away, then business as usual."""
from __future__ import annotations

import aiohttp
import pytest

from minikube_py.testing import ApiServer, Etcd
from tests.helpers import Http, namespace


@pytest.fixture
def private_cluster():
    etcd = Etcd()
    etcd.start()
    server = ApiServer(etcd)
    try:
        server.start()
        yield etcd, server
    finally:
        server.stop()
        etcd.remove()


async def test_etcd_restart(private_cluster, unique):
    etcd, server = private_cluster
    async with aiohttp.ClientSession() as session:
        http = Http(server.url, session)
        await http.ok("POST", "/api/v1/namespaces", namespace(f"before-{unique}"))
        listed = await http.ok("GET", "/api/v1/namespaces")
        stream = await http.watch(f"/api/v1/namespaces?watch=1&resourceVersion={listed['metadata']['resourceVersion']}")
        try:
            etcd.stop()
            status, body = await http.get("/api/v1/namespaces")
            assert status == 503 and body["kind"] == "Status" and body["reason"] == "ServiceUnavailable"
            etcd.start()
            await http.ok("POST", "/api/v1/namespaces", namespace(f"after-{unique}"))
            # the watch opened before the outage delivers what was written after it
            event = await stream.next_of({"ADDED"}, timeout=30)
            assert event["object"]["metadata"]["name"] == f"after-{unique}"
        finally:
            stream.close()
        names = {n["metadata"]["name"] for n in (await http.ok("GET", "/api/v1/namespaces"))["items"]}
        assert {f"before-{unique}", f"after-{unique}"} <= names
