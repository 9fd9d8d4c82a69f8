"""Watch: resuming without gaps, selectors with transitions, bookmarks, 410 after compaction."""
from __future__ import annotations

import aetcd
import aiohttp

from tests.helpers import Http, pod

CM = {"apiVersion": "v1", "kind": "ConfigMap"}


def cm(name: str, value: str, labels: dict[str, str] | None = None) -> dict:
    return {**CM, "metadata": {"name": name, "labels": labels or {}}, "data": {"v": value}}


async def test_watch_resumes_from_resource_version_without_gaps(http, ns):
    base = await http.ok("GET", f"/api/v1/namespaces/{ns}/configmaps")
    rv = base["metadata"]["resourceVersion"]
    written = []
    for i in range(5):
        obj = await http.ok("POST", f"/api/v1/namespaces/{ns}/configmaps", cm(f"c{i}", str(i)))
        written.append(obj["metadata"]["resourceVersion"])
    stream = await http.watch(f"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={rv}")
    try:
        seen = [(await stream.next_of({"ADDED"}))["object"]["metadata"]["resourceVersion"] for _ in range(5)]
        assert seen == written
        # Resume in the middle: exactly the later events, in order.
        stream.close()
        stream = await http.watch(f"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={written[2]}")
        resumed = [(await stream.next_of({"ADDED"}))["object"]["metadata"]["name"] for _ in range(2)]
        assert resumed == ["c3", "c4"]
        await http.ok("DELETE", f"/api/v1/namespaces/{ns}/configmaps/c0")
        deleted = await stream.next_of({"DELETED"})
        assert deleted["object"]["metadata"]["name"] == "c0"
        assert int(deleted["object"]["metadata"]["resourceVersion"]) > int(written[-1])
    finally:
        stream.close()


async def test_watch_without_version_starts_with_current_objects(http, ns):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/configmaps", cm("existing", "1"))
    stream = await http.watch(f"/api/v1/namespaces/{ns}/configmaps?watch=true")
    try:
        first = await stream.next()
        assert first["type"] == "ADDED" and first["object"]["metadata"]["name"] == "existing"
        await http.ok("PATCH", f"/api/v1/namespaces/{ns}/configmaps/existing", {"data": {"v": "2"}},
                      content_type="application/merge-patch+json")
        modified = await stream.next_of({"MODIFIED"})
        assert modified["object"]["data"] == {"v": "2"}
    finally:
        stream.close()


async def test_watch_selector_transitions(http, ns):
    stream = await http.watch(f"/api/v1/namespaces/{ns}/configmaps?watch=1&labelSelector=tier%3Dfront")
    try:
        await http.ok("POST", f"/api/v1/namespaces/{ns}/configmaps", cm("a", "1", {"tier": "back"}))
        await http.ok("POST", f"/api/v1/namespaces/{ns}/configmaps", cm("b", "1", {"tier": "front"}))
        event = await stream.next()
        assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "b")
        # a enters the selection: ADDED; b leaves it: DELETED (for this watcher)
        await http.ok("PATCH", f"/api/v1/namespaces/{ns}/configmaps/a", {"metadata": {"labels": {"tier": "front"}}},
                      content_type="application/merge-patch+json")
        event = await stream.next()
        assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "a")
        await http.ok("PATCH", f"/api/v1/namespaces/{ns}/configmaps/b", {"metadata": {"labels": {"tier": "back"}}},
                      content_type="application/merge-patch+json")
        event = await stream.next()
        assert (event["type"], event["object"]["metadata"]["name"]) == ("DELETED", "b")
    finally:
        stream.close()


async def test_field_selector_watch_like_a_node_agent(http, ns):
    stream = await http.watch(f"/api/v1/pods?watch=1&fieldSelector=spec.nodeName%3Dnode-{ns}")
    try:
        await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("elsewhere", node="other-node"))
        await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("mine", node=f"node-{ns}"))
        event = await stream.next()
        assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "mine")
    finally:
        stream.close()


async def test_bookmarks_carry_a_resource_version(http, ns):
    # the test API server sends bookmarks every 0.5 s
    stream = await http.watch(f"/api/v1/namespaces/{ns}/configmaps?watch=1&allowWatchBookmarks=true"
                              f"&resourceVersion=0")
    try:
        bookmark = await stream.next_of({"BOOKMARK"})
        assert bookmark["object"]["kind"] == "ConfigMap"
        assert int(bookmark["object"]["metadata"]["resourceVersion"]) > 0
    finally:
        stream.close()


async def test_compacted_revision_gets_410(http, ns, etcd, apiserver):
    first = await http.ok("POST", f"/api/v1/namespaces/{ns}/configmaps", cm("old", "1"))
    old_rv = int(first["metadata"]["resourceVersion"])
    for i in range(3):
        await http.ok("PUT", f"/api/v1/namespaces/{ns}/configmaps/old", cm("old", str(i + 2)))
    latest = await http.ok("GET", f"/api/v1/namespaces/{ns}/configmaps/old")
    host, port = etcd.endpoint.removeprefix("http://").split(":")
    async with aetcd.Client(host=host, port=int(port)) as client:
        await client.compact(int(latest["metadata"]["resourceVersion"]))
    # A restarted API server's watch cache starts at the current revision, so only etcd
    # could serve a watch from old_rv, and etcd has compacted it away.
    apiserver.restart()
    async with aiohttp.ClientSession() as session:
        stream = await Http(apiserver.url, session).watch(
            f"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={old_rv}")
        try:
            event = await stream.next()
            assert event["type"] == "ERROR"
            assert event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"
        finally:
            stream.close()


async def test_timeout_seconds_ends_the_stream(http, ns):
    stream = await http.watch(f"/api/v1/namespaces/{ns}/configmaps?watch=1&timeoutSeconds=1&resourceVersion=0")
    events = [e async for e in stream.events()]    # returns only because the server ended the stream
    assert all(e["type"] != "ERROR" for e in events)


def _etcd_watchers(etcd) -> int:
    """How many watches etcd itself is serving, from its own metrics."""
    import urllib.request
    with urllib.request.urlopen(f"{etcd.endpoint}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("etcd_debugging_mvcc_watcher_total "):
                return int(float(line.split()[1]))
    raise AssertionError("etcd does not report etcd_debugging_mvcc_watcher_total")


async def test_many_http_watchers_share_one_etcd_watch(http, ns, etcd):
    before = _etcd_watchers(etcd)
    listed = await http.ok("GET", f"/api/v1/namespaces/{ns}/configmaps")
    rv = listed["metadata"]["resourceVersion"]
    streams = [await http.watch(f"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={rv}")
               for _ in range(50)]
    try:
        await http.ok("POST", f"/api/v1/namespaces/{ns}/configmaps", cm("fan-out", "1"))
        for stream in streams:
            event = await stream.next_of({"ADDED"})
            assert event["object"]["metadata"]["name"] == "fan-out"
        assert _etcd_watchers(etcd) == before      # 50 HTTP watches, no new etcd watch
    finally:
        for stream in streams:
            stream.close()
