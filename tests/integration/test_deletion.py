"""Graceful pod deletion, finalizers, propagation policies and namespace termination."""
from __future__ import annotations

from tests.helpers import deployment, namespace, pod


async def test_unscheduled_pod_is_removed_at_once(http, ns):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p"))
    status, body = await http.delete(f"/api/v1/namespaces/{ns}/pods/p")
    assert status == 200 and body["kind"] == "Pod"
    assert (await http.get(f"/api/v1/namespaces/{ns}/pods/p"))[0] == 404


async def test_scheduled_pod_waits_for_its_node_agent(http, ns):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p", node="node-1",
                                                                terminationGracePeriodSeconds=45))
    status, body = await http.delete(f"/api/v1/namespaces/{ns}/pods/p")
    assert status == 202
    meta = body["metadata"]
    assert meta["deletionTimestamp"] and meta["deletionGracePeriodSeconds"] == 45
    still = await http.ok("GET", f"/api/v1/namespaces/{ns}/pods/p")
    assert still["metadata"]["deletionTimestamp"] == meta["deletionTimestamp"]
    # a second delete with a shorter grace brings the deadline forward
    _, shorter = await http.delete(f"/api/v1/namespaces/{ns}/pods/p", {"gracePeriodSeconds": 5})
    assert shorter["metadata"]["deletionGracePeriodSeconds"] == 5
    # the agent confirms that the containers are gone
    status, _ = await http.delete(f"/api/v1/namespaces/{ns}/pods/p?gracePeriodSeconds=0")
    assert status == 200
    assert (await http.get(f"/api/v1/namespaces/{ns}/pods/p"))[0] == 404


async def test_finalizers_block_removal_until_cleared(http, ns):
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "held", "finalizers": ["example.com/hold"]}}
    await http.ok("POST", f"/api/v1/namespaces/{ns}/configmaps", cm)
    status, body = await http.delete(f"/api/v1/namespaces/{ns}/configmaps/held")
    assert status == 202 and body["metadata"]["deletionTimestamp"]
    assert (await http.get(f"/api/v1/namespaces/{ns}/configmaps/held"))[0] == 200
    await http.ok("PATCH", f"/api/v1/namespaces/{ns}/configmaps/held", {"metadata": {"finalizers": None}},
                  content_type="application/merge-patch+json")
    assert (await http.get(f"/api/v1/namespaces/{ns}/configmaps/held"))[0] == 404


async def test_propagation_policies_add_gc_finalizers(http, ns):
    for name, policy, finalizer in (("fg", "Foreground", "foregroundDeletion"), ("or", "Orphan", "orphan")):
        await http.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deployment(name))
        status, body = await http.delete(f"/apis/apps/v1/namespaces/{ns}/deployments/{name}",
                                         {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": policy})
        assert status == 202 and body["metadata"]["finalizers"] == [finalizer]
    await http.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deployment("bg"))
    status, body = await http.delete(f"/apis/apps/v1/namespaces/{ns}/deployments/bg?propagationPolicy=Background")
    assert status == 200 and body["kind"] == "Status" and body["status"] == "Success"


async def test_delete_preconditions(http, ns):
    created = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p"))
    status, body = await http.delete(f"/api/v1/namespaces/{ns}/pods/p", {"preconditions": {"uid": "wrong"}})
    assert status == 409 and "Precondition failed" in body["message"]
    status, _ = await http.delete(f"/api/v1/namespaces/{ns}/pods/p",
                                  {"preconditions": {"uid": created["metadata"]["uid"]}})
    assert status == 200


async def test_deletecollection_with_selector(http, ns):
    for name, tier in (("a", "x"), ("b", "x"), ("c", "y")):
        await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod(name, {"tier": tier}))
    body = await http.ok("DELETE", f"/api/v1/namespaces/{ns}/pods?labelSelector=tier%3Dx")
    assert sorted(p["metadata"]["name"] for p in body["items"]) == ["a", "b"]
    left = await http.ok("GET", f"/api/v1/namespaces/{ns}/pods")
    assert [p["metadata"]["name"] for p in left["items"]] == ["c"]


async def test_namespace_deletion_terminates_and_finalize_removes(http, unique):
    name = f"gone-{unique}"
    created = await http.ok("POST", "/api/v1/namespaces", namespace(name))
    assert created["spec"]["finalizers"] == ["kubernetes"] and created["status"]["phase"] == "Active"
    status, body = await http.delete(f"/api/v1/namespaces/{name}")
    assert status == 202 and body["status"]["phase"] == "Terminating"
    status, answer = await http.post(f"/api/v1/namespaces/{name}/pods", pod("late"))
    assert status == 403 and answer["reason"] == "Forbidden"
    # what the namespace controller does once the namespace is empty
    current = await http.ok("GET", f"/api/v1/namespaces/{name}")
    current["spec"]["finalizers"] = []
    await http.ok("PUT", f"/api/v1/namespaces/{name}/finalize", current)
    assert (await http.get(f"/api/v1/namespaces/{name}"))[0] == 404


async def test_system_namespaces_exist_and_cannot_be_deleted(http):
    names = {n["metadata"]["name"] for n in (await http.ok("GET", "/api/v1/namespaces"))["items"]}
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= names
    for name in ("default", "kube-system"):
        status, body = await http.delete(f"/api/v1/namespaces/{name}")
        assert status == 403 and body["reason"] == "Forbidden"
        assert (await http.ok("GET", f"/api/v1/namespaces/{name}"))["status"]["phase"] == "Active"


async def test_create_right_after_namespace_delete_is_refused(http, unique):
    """Read-your-writes: the namespace check must see the Terminating state this server just wrote."""
    for i in range(15):
        name = f"quick-{unique}-{i}"
        await http.ok("POST", "/api/v1/namespaces", namespace(name))
        status, _ = await http.post(f"/api/v1/namespaces/{name}/configmaps",
                                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
        assert status == 201                  # a namespace just created is usable at once
        await http.delete(f"/api/v1/namespaces/{name}")
        status, body = await http.post(f"/api/v1/namespaces/{name}/configmaps",
                                       {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"}})
        assert status == 403, body
