"""The Deployment controller against a real API server: rolling update bounds, Recreate,
rollback, pause, progress deadline. A helper task plays the kubelet (marks pods Ready)."""
from __future__ import annotations

import asyncio

from controllers import deployment_util as du
from minikube_py.testing import eventually
from tests.controller_harness import complete, deployment, kubelet, pods_of


async def test_rolling_update_stays_within_surge_and_unavailability(api, manager, ns):
    deployments = api.resource("deployments", ns)
    async with kubelet(api, ns):
        await deployments.create(deployment("web", 4, "img:v1"))
        first = await eventually(lambda: complete(api, ns, "web", "img:v1"), "v1 rolled out")
        assert first["metadata"]["annotations"][du.REVISION] == "1"
        watch_task = asyncio.create_task(observe(api, ns))
        await deployments.patch("web", {"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "img:v2"}]}}}}, "strategic")
        done = await eventually(lambda: complete(api, ns, "web", "img:v2"), "v2 rolled out", timeout=60)
        watch_task.cancel()
        most, fewest_ready = await_result(watch_task)
    assert most <= 4 + 1, f"saw {most} pods at once"
    assert fewest_ready >= 4 - 1, f"saw only {fewest_ready} ready pods"
    assert done["metadata"]["annotations"][du.REVISION] == "2"
    sets, _ = await api.resource("replicasets", ns).list_all()
    assert sorted(du.replicas(rs) for rs in sets) == [0, 4]
    assert all(rs["metadata"]["name"].startswith("web-") and rs["metadata"]["labels"][du.HASH_LABEL]
               for rs in sets)
    events, _ = await api.resource("events", ns).list_all()
    assert any(e["reason"] == "ScalingReplicaSet" and e["message"].startswith("Scaled up replica set web-")
               for e in events)

    # rollback: the v1 template comes back, the v1 ReplicaSet is reused with revision 3
    async with kubelet(api, ns):
        old = next(rs for rs in sets if du.replicas(rs) == 0)
        await deployments.patch("web", [{"op": "replace", "path": "/spec/template",
                                         "value": du.without_hash_label(old["spec"]["template"])}], "json")
        await eventually(lambda: complete(api, ns, "web", "img:v1"), "rolled back to v1", timeout=60)
    reused = await api.resource("replicasets", ns).get(old["metadata"]["name"])
    assert reused["metadata"]["annotations"][du.REVISION] == "3"
    assert reused["metadata"]["annotations"][du.REVISION_HISTORY] == "1"
    assert len((await api.resource("replicasets", ns).list_all())[0]) == 2


state = {"most": 0, "fewest_ready": 99}


async def observe(api, ns):
    """Watch pods; after every event, count live pods and ready live pods."""
    pods: dict[str, dict] = {}
    state.update(most=0, fewest_ready=99)
    items, rv = await api.resource("pods", ns).list_all()
    pods = {p["metadata"]["name"]: p for p in items}
    async for event in api.resource("pods", ns).watch(resource_version=rv):
        obj = event["object"]
        if event["type"] == "DELETED":
            pods.pop(obj["metadata"]["name"], None)
        elif event["type"] in ("ADDED", "MODIFIED"):
            pods[obj["metadata"]["name"]] = obj
        live = [p for p in pods.values() if not p["metadata"].get("deletionTimestamp")]
        ready = [p for p in live if any(c["type"] == "Ready" and c["status"] == "True"
                                        for c in (p.get("status") or {}).get("conditions") or [])]
        state["most"] = max(state["most"], len(live))
        state["fewest_ready"] = min(state["fewest_ready"], len(ready))


def await_result(task):
    return state["most"], state["fewest_ready"]


async def test_recreate_removes_all_old_pods_before_creating_new_ones(api, manager, ns):
    deployments = api.resource("deployments", ns)
    async with kubelet(api, ns):
        await deployments.create(deployment("db", 2, "db:v1", {"type": "Recreate"}))
        await eventually(lambda: complete(api, ns, "db", "db:v1"), "v1")
        watch_task = asyncio.create_task(observe_mix(api, ns))
        await deployments.patch("db", {"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "db:v2"}]}}}}, "strategic")
        await eventually(lambda: complete(api, ns, "db", "db:v2"), "v2")
        watch_task.cancel()
    assert not mixed["seen"], "old and new pods existed at the same time"


mixed = {"seen": False}


async def observe_mix(api, ns):
    mixed["seen"] = False
    while True:
        images = {p["spec"]["containers"][0]["image"] for p in await pods_of(api, ns, "app=db")}
        mixed["seen"] |= len(images) > 1
        await asyncio.sleep(0.02)


async def test_paused_deployment_scales_but_does_not_roll_out(api, manager, ns):
    deployments = api.resource("deployments", ns)
    async with kubelet(api, ns):
        await deployments.create(deployment("app", 2, "a:v1"))
        await eventually(lambda: complete(api, ns, "app", "a:v1"), "v1")
        await deployments.patch("app", {"spec": {"paused": True, "replicas": 3, "template": {"spec": {
            "containers": [{"name": "app", "image": "a:v2"}]}}}}, "strategic")

        async def paused_and_scaled():
            d = await deployments.get("app")
            conditions = {c["type"]: c for c in (d.get("status") or {}).get("conditions") or []}
            pods = await pods_of(api, ns, "app=app")
            return (conditions.get("Progressing", {}).get("reason") == "DeploymentPaused" and len(pods) == 3
                    and {p["spec"]["containers"][0]["image"] for p in pods} == {"a:v1"})
        await eventually(paused_and_scaled, "scaled to 3 while paused, still v1")
        assert len((await api.resource("replicasets", ns).list_all())[0]) == 1
        await deployments.patch("app", {"spec": {"paused": False}})
        await eventually(lambda: complete(api, ns, "app", "a:v2"), "v2 after resume", timeout=60)


async def test_progress_deadline_exceeded_when_pods_never_get_ready(api, manager, ns):
    deployments = api.resource("deployments", ns)
    no_unavailability = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    await deployments.create(deployment("slow", 1, "s:v1", no_unavailability, progressDeadlineSeconds=2))

    async def timed_out():
        d = await deployments.get("slow")
        conditions = {c["type"]: c for c in (d.get("status") or {}).get("conditions") or []}
        return conditions.get("Progressing", {}).get("reason") == "ProgressDeadlineExceeded" and conditions
    conditions = await eventually(timed_out, "ProgressDeadlineExceeded")
    assert conditions["Progressing"]["status"] == "False"
    assert conditions["Available"]["reason"] == "MinimumReplicasUnavailable"
