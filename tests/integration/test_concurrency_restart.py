"""Concurrent writers, and an API server restart that loses nothing."""
from __future__ import annotations

import asyncio

import aiohttp

from tests.helpers import Http, pod


async def test_conflicting_updates_exactly_one_wins(http, ns):
    created = await http.ok("POST", f"/api/v1/namespaces/{ns}/configmaps",
                            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}})

    async def write(i: int) -> int:
        body = {**created, "data": {"writer": str(i)}}
        status, _ = await http.put(f"/api/v1/namespaces/{ns}/configmaps/c", body)
        return status

    statuses = await asyncio.gather(*(write(i) for i in range(10)))
    assert sorted(statuses) == [200] + [409] * 9
    final = await http.ok("GET", f"/api/v1/namespaces/{ns}/configmaps/c")
    winner = statuses.index(200)
    assert final["data"] == {"writer": str(winner)}


async def test_concurrent_patches_lose_nothing(http, ns):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/configmaps",
                  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}})
    # Patches without a resourceVersion are retried by the server on conflict: all 20 keys land.
    await asyncio.gather(*(http.ok("PATCH", f"/api/v1/namespaces/{ns}/configmaps/c", {"data": {f"k{i}": "v"}},
                                   content_type="application/merge-patch+json") for i in range(20)))
    final = await http.ok("GET", f"/api/v1/namespaces/{ns}/configmaps/c")
    assert sorted(final["data"]) == sorted(f"k{i}" for i in range(20))


async def test_restart_loses_nothing_and_watch_resumes(http, ns, apiserver):
    before = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("survivor", {"a": "b"}))
    rv = before["metadata"]["resourceVersion"]
    apiserver.restart()
    async with aiohttp.ClientSession() as session:   # the old keep-alive connections died with the server
        await _after_restart(Http(apiserver.url, session), ns, before, rv)


async def _after_restart(http: Http, ns: str, before: dict, rv: str) -> None:
    after = await http.ok("GET", f"/api/v1/namespaces/{ns}/pods/survivor")
    assert after == before
    # a client resuming its watch from before the restart misses nothing
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("newcomer"))
    stream = await http.watch(f"/api/v1/namespaces/{ns}/pods?watch=1&resourceVersion={rv}")
    try:
        event = await stream.next_of({"ADDED"})
        assert event["object"]["metadata"]["name"] == "newcomer"
    finally:
        stream.close()
    names = {n["metadata"]["name"] for n in (await http.ok("GET", "/api/v1/namespaces"))["items"]}
    assert ns in names


async def test_sigterm_ends_open_watches_and_the_server(etcd, unique):
    """An open watch must not keep a stopping API server alive (it would hold restarts for minutes)."""
    import signal

    from minikube_py.testing import ApiServer
    server = ApiServer(etcd)
    server.start()
    process = server.process
    assert process is not None
    try:
        async with aiohttp.ClientSession() as session:
            stream = await Http(server.url, session).watch("/api/v1/namespaces?watch=1")
            process.send_signal(signal.SIGTERM)
            ended = [event async for event in stream.events()]      # returns when the server closes it
            assert all(e["type"] == "ADDED" for e in ended)
            assert process.wait(timeout=60) == 0             # exited by itself, cleanly
    finally:
        server.stop()
