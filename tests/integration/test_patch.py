"""The three patch formats kubectl and the clients use."""
from __future__ import annotations

from tests.helpers import deployment, pod


async def test_merge_patch_adds_and_removes_keys(http, ns):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p", {"a": "1", "b": "2"}))
    patched = await http.ok("PATCH", f"/api/v1/namespaces/{ns}/pods/p",
                            {"metadata": {"labels": {"a": None, "c": "3"}}},
                            content_type="application/merge-patch+json")
    assert patched["metadata"]["labels"] == {"b": "2", "c": "3"}


async def test_json_patch(http, ns):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p", {"a": "1"}))
    patched = await http.ok("PATCH", f"/api/v1/namespaces/{ns}/pods/p",
                            [{"op": "replace", "path": "/metadata/labels/a", "value": "9"},
                             {"op": "add", "path": "/metadata/annotations", "value": {"note": "x"}}],
                            content_type="application/json-patch+json")
    assert patched["metadata"]["labels"] == {"a": "9"} and patched["metadata"]["annotations"] == {"note": "x"}
    status, body = await http.patch(f"/api/v1/namespaces/{ns}/pods/p",
                                    [{"op": "test", "path": "/metadata/labels/a", "value": "1"}], "json")
    assert status == 422 and body["kind"] == "Status"


async def test_strategic_merge_patch_merges_containers_by_name(http, ns):
    d = deployment("d")
    d["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "minikube-py/busybox:latest"})
    await http.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", d)
    # what `kubectl set image deployment/d web=minikube-py/hello:v2` sends
    patched = await http.ok("PATCH", f"/apis/apps/v1/namespaces/{ns}/deployments/d",
                            {"spec": {"template": {"spec": {"containers": [
                                {"name": "web", "image": "minikube-py/hello:v2"}]}}}},
                            content_type="application/strategic-merge-patch+json")
    containers = {c["name"]: c["image"] for c in patched["spec"]["template"]["spec"]["containers"]}
    assert containers == {"web": "minikube-py/hello:v2", "sidecar": "minikube-py/busybox:latest"}
    assert patched["metadata"]["generation"] == 2


async def test_patch_that_makes_object_invalid_is_refused(http, ns):
    await http.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deployment("d"))
    status, body = await http.patch(f"/apis/apps/v1/namespaces/{ns}/deployments/d",
                                    {"spec": {"replicas": -1}}, "merge")
    assert status == 422 and body["details"]["causes"][0]["field"] == "spec.replicas"
    assert (await http.ok("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/d"))["spec"]["replicas"] == 1


async def test_patch_with_stale_resource_version_conflicts(http, ns):
    created = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p"))
    await http.ok("PATCH", f"/api/v1/namespaces/{ns}/pods/p", {"metadata": {"labels": {"x": "1"}}},
                  content_type="application/merge-patch+json")
    status, body = await http.patch(f"/api/v1/namespaces/{ns}/pods/p",
                                    {"metadata": {"labels": {"x": "2"},
                                                  "resourceVersion": created["metadata"]["resourceVersion"]}})
    assert status == 409 and body["reason"] == "Conflict"


async def test_noop_update_is_not_written(http, ns):
    created = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p", {"a": "1"}))
    same = await http.ok("PATCH", f"/api/v1/namespaces/{ns}/pods/p", {"metadata": {"labels": {"a": "1"}}},
                         content_type="application/merge-patch+json")
    assert same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
