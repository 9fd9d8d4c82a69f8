"""The ReplicaSet controller against a real API server (controllers/replicaset.py)."""
from __future__ import annotations

import asyncio

from minikube_py.testing import eventually
from tests.controller_harness import InProcessManager, mark_ready, pods_of, replica_set


async def test_scale_up_then_down_deletes_unready_and_unscheduled_first(api, manager, ns):
    rss = api.resource("replicasets", ns)
    await rss.create(replica_set("web", 3, {"app": "web"}))
    pods = await eventually(lambda: _exactly(api, ns, "app=web", 3), "3 pods")
    for pod in pods:
        ref = pod["metadata"]["ownerReferences"][0]
        assert pod["metadata"]["generateName"] == "web-"
        assert ref["kind"] == "ReplicaSet" and ref["controller"] and ref["blockOwnerDeletion"]
    keep = pods[0]
    await mark_ready(api, ns, keep, "10.244.1.5")
    await eventually(lambda: _status(rss, "web", readyReplicas=1, replicas=3, availableReplicas=1), "status")
    await rss.patch("web", {"spec": {"replicas": 1}})
    left = await eventually(lambda: _exactly(api, ns, "app=web", 1), "scale down to 1")
    assert left[0]["metadata"]["name"] == keep["metadata"]["name"]      # the ready one stays
    rs = await eventually(lambda: _status(rss, "web", replicas=1, readyReplicas=1), "status after scale down")
    assert rs["status"]["observedGeneration"] == rs["metadata"]["generation"]
    events, _ = await api.resource("events", ns).list_all()
    assert {"SuccessfulCreate", "SuccessfulDelete"} <= {e["reason"] for e in events}


async def test_adopts_matching_orphans_and_releases_relabelled_pods(api, manager, ns):
    pods = api.resource("pods", ns)
    orphan = await pods.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "orphan",
                                "labels": {"app": "db"}}, "spec": replica_set("x", 1, {})["spec"]["template"]["spec"]})
    rs = await api.resource("replicasets", ns).create(replica_set("db", 2, {"app": "db"}))
    await eventually(lambda: _exactly(api, ns, "app=db", 2), "2 pods, the orphan adopted")
    adopted = await pods.get("orphan")
    assert adopted["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
    assert adopted["metadata"]["uid"] == orphan["metadata"]["uid"]
    await pods.patch("orphan", {"metadata": {"labels": {"app": "other"}}})

    async def released():
        pod = await pods.get("orphan")
        return not pod["metadata"].get("ownerReferences")
    await eventually(released, "the relabelled pod released")
    await eventually(lambda: _exactly(api, ns, "app=db", 2), "a replacement for the released pod")


async def test_no_over_creation_when_the_manager_restarts_while_creating(api, apiserver, ns):
    await api.resource("replicasets", ns).create(replica_set("many", 25, {"app": "many"}))
    seen: set[str] = set()
    for round_ in range(3):
        run = InProcessManager(apiserver.url, ["replicaset"])
        run.start()
        await asyncio.sleep(0.3 + 0.2 * round_)
        await run.stop()
        seen |= {p["metadata"]["name"] for p in await pods_of(api, ns, "app=many")}
        assert len(seen) <= 25
    run = InProcessManager(apiserver.url, ["replicaset"])
    run.start()
    try:
        await eventually(lambda: _exactly(api, ns, "app=many", 25), "25 pods")
        await asyncio.sleep(1.0)          # a second chance to over-create, had the controller wanted to
        assert len(await pods_of(api, ns, "app=many")) == 25
    finally:
        await run.stop()


async def _exactly(api, ns, selector, count):
    pods = await pods_of(api, ns, selector)
    return pods if len(pods) == count else None


async def _status(rss, name, **expected):
    rs = await rss.get(name)
    status = rs.get("status") or {}
    return rs if all(status.get(k, 0) == v for k, v in expected.items()) else None
