"""The watch cache after etcd compactions, for real: watchers converge on what etcd holds.

Two API servers share one registry prefix on the test's etcd, as API servers of one cluster
do. Writers churn ConfigMaps through both while etcd is compacted at its current revision
again and again. To make etcd lose previous values for certain, the watching server is
paused (SIGSTOP) while the other one writes large objects and etcd is compacted: when it
resumes, etcd sends it updates and deletes whose previous value is gone (or cancels its
watch as compacted). Then every watcher (plain watches, as a Kubernetes reflector does them:
list, watch, relist on 410) and our client library's informer must end up equal to a fresh
list, and the namespace-open check must see namespaces as they are now.
"""
from __future__ import annotations

import asyncio
import contextlib
import random
import signal
from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

import aetcd
import aiohttp
import pytest

from minikube_py.client import ApiClient, ClientConfig
from minikube_py.client.informer import SharedInformer
from minikube_py.testing import ApiServer, Etcd, eventually
from tests.helpers import Http, namespace

START_OVER = "the watch cache starts over from a fresh read"    # the cache's log line
BIG = "x" * 200_000        # large values fill etcd's send buffers to the paused server


def cm(name: str, value: str, labels: dict[str, str] | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels or {}},
            "data": {"v": value}}


@pytest.fixture(scope="module")
def servers(etcd: Etcd) -> Iterator[tuple[ApiServer, ApiServer]]:
    """The watched server and a second one on the same prefix that writes while it is paused."""
    watched = ApiServer(etcd, extra=["--watch-bookmark-interval", "0.5"])
    writer = ApiServer(etcd, prefix=watched.prefix)
    try:
        watched.start()
        writer.start()
        yield watched, writer
    finally:
        if watched.process is not None and watched.process.poll() is None:
            watched.process.send_signal(signal.SIGCONT)
        watched.stop()
        writer.stop()


@pytest.fixture
async def sessions(servers: tuple[ApiServer, ApiServer]) -> AsyncIterator[tuple[Http, Http]]:
    watched, writer = servers
    async with aiohttp.ClientSession() as one, aiohttp.ClientSession() as two:
        yield Http(watched.url, one), Http(writer.url, two)


@pytest.fixture
async def space(sessions: tuple[Http, Http], unique: str) -> AsyncIterator[str]:
    http, _ = sessions
    name = f"compact-{unique}"
    await http.ok("POST", "/api/v1/namespaces", namespace(name))
    yield name
    await http.delete(f"/api/v1/namespaces/{name}")


async def compact_now(etcd: Etcd) -> int:
    """Compact etcd at its current revision (etcd's Compact RPC); returns that revision."""
    host, port = etcd.endpoint.removeprefix("http://").split(":")
    async with aetcd.Client(host=host, port=int(port)) as client:
        revision = (await client.put(b"/compaction-test-marker", b"x")).header.revision
        await client.compact(revision)
        return revision


@contextlib.asynccontextmanager
async def paused(server: ApiServer) -> AsyncIterator[None]:
    """SIGSTOP the server (it reads nothing from etcd meanwhile); SIGCONT afterwards, always."""
    assert server.process is not None
    server.process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        server.process.send_signal(signal.SIGCONT)


async def starts_over_count(server: ApiServer) -> int:
    return server.log_path.read_text(errors="replace").count(START_OVER)


class Reflector:
    """One watcher's view, kept the way Kubernetes clients keep it: list, then watch from the
    list's resourceVersion; a clean end of the stream resumes from the last resourceVersion,
    an ERROR (410 Expired) means list again."""

    def __init__(self, http: Http, path: str, label_selector: str = "") -> None:
        self.http, self.path = http, path
        self.selector = f"&labelSelector={quote(label_selector)}" if label_selector else ""
        self.objects: dict[str, str] = {}      # name -> resourceVersion
        self.lists = 0

    async def run(self) -> None:
        while True:
            listed = await self.http.ok("GET", f"{self.path}?limit=0{self.selector}")
            self.lists += 1
            self.objects = {o["metadata"]["name"]: o["metadata"]["resourceVersion"] for o in listed["items"]}
            revision = listed["metadata"]["resourceVersion"]
            while revision is not None:
                revision = await self._watch(revision)

    async def _watch(self, revision: str) -> str | None:
        """Apply events from `revision` on; the revision to resume from, or None to relist."""
        stream = await self.http.watch(f"{self.path}?watch=1&allowWatchBookmarks=true"
                                       f"&resourceVersion={revision}{self.selector}")
        try:
            async for event in stream.events():
                obj = event["object"]
                if event["type"] == "ERROR":
                    return None
                revision = obj["metadata"]["resourceVersion"]
                if event["type"] == "DELETED":
                    self.objects.pop(obj["metadata"]["name"], None)
                elif event["type"] in ("ADDED", "MODIFIED"):
                    self.objects[obj["metadata"]["name"]] = revision
            return revision
        finally:
            stream.close()


async def fresh_list(http: Http, path: str, label_selector: str = "") -> dict[str, str]:
    selector = f"&labelSelector={quote(label_selector)}" if label_selector else ""
    listed = await http.ok("GET", f"{path}?limit=0{selector}")
    return {o["metadata"]["name"]: o["metadata"]["resourceVersion"] for o in listed["items"]}


async def churn(http: Http, path: str, rounds: int, seed: int) -> None:
    """Random creates, updates (values and the tier label) and deletes on a few shared names;
    conflicts and misses between concurrent writers are normal."""
    rng = random.Random(seed)
    for i in range(rounds):
        name = f"c{rng.randrange(8)}"
        labels = {"tier": rng.choice(["front", "back"])}
        action = rng.choice(["create", "update", "update", "delete"])
        if action == "create":
            await http.call("POST", path, cm(name, f"{seed}-{i}", labels))
        elif action == "update":
            await http.call("PUT", f"{path}/{name}", cm(name, f"{seed}-{i}", labels))
        else:
            await http.call("DELETE", f"{path}/{name}")


async def big_writes(http: Http, path: str, count: int = 25) -> None:
    """Create, update and delete `count` large ConfigMaps: tens of MB of events (each update
    and delete carries the previous value too), more than etcd can push to a paused reader."""
    for i in range(count):
        await http.ok("POST", path, cm(f"big{i}", "1" + BIG))
    for i in range(count):
        await http.ok("PUT", f"{path}/big{i}", cm(f"big{i}", "2" + BIG))
    for i in range(count):
        await http.ok("DELETE", f"{path}/big{i}")


async def test_watchers_and_informers_converge_after_compactions_during_churn(
        etcd: Etcd, servers: tuple[ApiServer, ApiServer], sessions: tuple[Http, Http], space: str) -> None:
    watched, _ = servers
    http, other = sessions
    path = f"/api/v1/namespaces/{space}/configmaps"
    reflectors = [Reflector(http, path), Reflector(http, path), Reflector(http, path, "tier=front")]
    tasks = [asyncio.create_task(r.run()) for r in reflectors]
    client = ApiClient(ClientConfig(server=watched.url))
    informer = SharedInformer(client.resource("configmaps", space), backoff_base=0.05)
    informer.start()
    starts_over_before = await starts_over_count(watched)
    try:
        await informer.wait_for_sync(30)

        async def listed() -> bool:
            return all(r.lists for r in reflectors)

        await eventually(listed, "every reflector to list")

        async def compactor() -> None:      # compactions at the current revision, in the middle of it all
            for _ in range(10):
                await asyncio.sleep(0.2)
                await compact_now(etcd)

        await asyncio.gather(compactor(), *(churn(h, path, 60, seed) for seed, h in enumerate([http, other] * 2)))
        # The paused server reads nothing; etcd changes under it and is compacted.
        async with paused(watched):
            await big_writes(other, path)
            await churn(other, path, 60, seed=99)
            await compact_now(etcd)
        await churn(http, path, 20, seed=100)       # and on it goes after the resume

        async def everyone_converged() -> bool:
            expected = [await fresh_list(http, path), await fresh_list(http, path),
                        await fresh_list(http, path, "tier=front")]
            views = [r.objects for r in reflectors]
            cached = {o["metadata"]["name"]: o["metadata"]["resourceVersion"] for o in informer.list()}
            return views == expected and cached == expected[0]

        await eventually(everyone_converged, "every watcher and the informer to equal a fresh list", timeout=120)
        # The pause did make etcd lose previous values (or cancel the watch): the cache started over.
        assert await starts_over_count(watched) > starts_over_before
        assert all(r.lists >= 2 for r in reflectors)     # each was told 410 and listed again
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await informer.stop()
        await client.close()


async def test_the_namespace_check_sees_namespaces_deleted_and_recreated_around_a_compaction(
        etcd: Etcd, servers: tuple[ApiServer, ApiServer], sessions: tuple[Http, Http], unique: str) -> None:
    watched, _ = servers
    http, other = sessions
    recreated, vanished = f"again-{unique}", f"gone-{unique}"
    for name in (recreated, vanished):
        await http.ok("POST", "/api/v1/namespaces", namespace(name))
    # The watched server's cache sees `recreated` Terminating (no namespace controller runs here).
    await http.ok("DELETE", f"/api/v1/namespaces/{recreated}")
    terminating = await http.ok("GET", f"/api/v1/namespaces/{recreated}")
    assert terminating["status"]["phase"] == "Terminating"
    starts_over_before = await starts_over_count(watched)
    try:
        async with paused(watched):
            # Through the other server, behind large writes that stay queued in etcd: both
            # namespaces leave etcd (what the namespace controller's finalize does), one comes
            # back new; the compaction makes etcd lose the values before those changes.
            await big_writes(other, f"/api/v1/namespaces/{vanished}/configmaps")
            await other.ok("DELETE", f"/api/v1/namespaces/{vanished}")
            for name in (recreated, vanished):
                await finalize(other, name)
            await other.ok("POST", "/api/v1/namespaces", namespace(recreated))
            await compact_now(etcd)

        async def check_answers() -> tuple[int, int]:
            """What the namespace check says now (dry-run creates: nothing is stored)."""
            statuses = []
            for name in (recreated, vanished):
                status, _ = await http.post(f"/api/v1/namespaces/{name}/configmaps?dryRun=All", cm("probe", "1"))
                statuses.append(status)
            return statuses[0], statuses[1]

        async def converged() -> bool:
            return await check_answers() == (201, 404)

        await eventually(converged, f"creates in {recreated} allowed and in {vanished} refused", timeout=60)
        assert await starts_over_count(watched) > starts_over_before
        status, _ = await http.post(f"/api/v1/namespaces/{vanished}/configmaps", cm("late", "1"))
        assert status == 404
    finally:
        for name in (recreated, vanished):
            await http.delete(f"/api/v1/namespaces/{name}")
            with contextlib.suppress(AssertionError):
                await finalize(http, name)


async def finalize(http: Http, name: str) -> None:
    """Empty spec.finalizers through the finalize subresource: a Terminating namespace goes."""
    current = await http.ok("GET", f"/api/v1/namespaces/{name}")
    current["spec"] = {"finalizers": []}
    await http.ok("PUT", f"/api/v1/namespaces/{name}/finalize", current)
