"""The garbage collector against a real API server (controllers/garbage_collector.py):
background, foreground (the owner waits for its blocking dependents) and orphan
propagation, over several types, and an owner that never existed."""
from __future__ import annotations

import functools

import pytest

from minikube_py.api.errors import ApiError
from minikube_py.testing import eventually
from tests.controller_harness import controllers_running


@pytest.fixture
async def gc(apiserver):
    async with controllers_running(apiserver.url, ["garbagecollector"]) as run:
        yield run


def ref(owner: dict, block: bool = False, controller: bool = False) -> dict:
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "blockOwnerDeletion": block, "controller": controller}


def configmap(name: str, *owners: dict, finalizers: list[str] | None = None) -> dict:
    metadata = {"name": name, "ownerReferences": list(owners)}
    if finalizers:
        metadata["finalizers"] = finalizers
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {"k": "v"}}


def pod(name: str, *owners: dict, finalizers: list[str] | None = None) -> dict:
    metadata = {"name": name, "ownerReferences": list(owners), "finalizers": finalizers or []}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
            "spec": {"containers": [{"name": "app", "image": "minikube-py/busybox:latest"}]}}


def replica_set(name: str) -> dict:
    labels = {"gc": name}
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": 0, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "a", "image": "minikube-py/busybox:latest"}]}}}}


async def gone(client, name: str) -> bool:
    try:
        await client.get(name)
    except ApiError as e:
        return e.reason == "NotFound"
    return False


async def test_background_deletes_dependents_of_every_type_and_keeps_those_with_another_owner(api, gc, ns):
    cms, pods, secrets = api.resource("configmaps", ns), api.resource("pods", ns), api.resource("secrets", ns)
    deployment = await api.resource("deployments", ns).create({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "owner"},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"a": "b"}},
                 "template": {"metadata": {"labels": {"a": "b"}},
                              "spec": {"containers": [{"name": "a", "image": "x/y:1"}]}}}})
    other = await cms.create(configmap("other-owner"))
    child_pod = await pods.create(pod("child", ref(deployment)))
    await cms.create(configmap("grandchild", ref(child_pod)))
    await secrets.create({"apiVersion": "v1", "kind": "Secret", "metadata": {
        "name": "child-secret", "ownerReferences": [ref(deployment)]}, "data": {}})
    await cms.create(configmap("shared", ref(deployment), ref(other)))
    await api.resource("deployments", ns).delete("owner")          # Background is the default

    for client, name in ((pods, "child"), (cms, "grandchild"), (secrets, "child-secret")):
        await eventually(functools.partial(gone, client, name), f"{name} to be collected")

    async def reference_dropped():
        shared = await cms.get("shared")
        return [r["uid"] for r in shared["metadata"]["ownerReferences"]] == [other["metadata"]["uid"]]
    await eventually(reference_dropped, "the shared dependent to keep only its living owner")


async def test_a_dependent_of_an_owner_that_never_existed_is_collected(api, gc, ns):
    ghost = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ghost", "uid": "0000-never"}}
    await api.resource("pods", ns).create(pod("haunted", ref(ghost)))
    await eventually(lambda: gone(api.resource("pods", ns), "haunted"), "the pod with a dangling owner")


async def test_foreground_owner_waits_for_blocking_dependents(api, gc, ns):
    rss, pods, cms = api.resource("replicasets", ns), api.resource("pods", ns), api.resource("configmaps", ns)
    rs = await rss.create(replica_set("fg"))
    await pods.create(pod("free", ref(rs, block=True, controller=True)))
    held = await pods.create(pod("held", ref(rs, block=True, controller=True), finalizers=["example.com/hold"]))
    await cms.create(configmap("of-held", ref(held, block=True)))
    await rss.delete("fg", propagation_policy="Foreground")

    await eventually(lambda: gone(pods, "free"), "the free dependent deleted first")
    await eventually(lambda: gone(cms, "of-held"), "the grandchild deleted (the dependent went foreground too)")

    async def held_terminating():
        return (await pods.get("held"))["metadata"].get("deletionTimestamp")
    await eventually(held_terminating, "the held dependent marked for deletion")
    owner = await rss.get("fg")                    # still there: a blocking dependent remains
    assert owner["metadata"]["deletionTimestamp"] and "foregroundDeletion" in owner["metadata"]["finalizers"]
    await pods.patch("held", {"metadata": {"finalizers": []}})
    await eventually(lambda: gone(rss, "fg"), "the owner to go once its dependents are gone")


async def test_orphan_unlinks_dependents_and_lets_the_owner_go(api, gc, ns):
    rss, pods, cms = api.resource("replicasets", ns), api.resource("pods", ns), api.resource("configmaps", ns)
    rs = await rss.create(replica_set("orph"))
    keep = await cms.create(configmap("keeper"))
    await pods.create(pod("p1", ref(rs, block=True, controller=True)))
    await pods.create(pod("p2", ref(rs, controller=True), ref(keep)))
    await rss.delete("orph", propagation_policy="Orphan")
    await eventually(lambda: gone(rss, "orph"), "the owner to go after orphaning")
    p1, p2 = await pods.get("p1"), await pods.get("p2")
    assert not p1["metadata"].get("ownerReferences") and not p1["metadata"].get("deletionTimestamp")
    assert [r["name"] for r in p2["metadata"]["ownerReferences"]] == ["keeper"]
