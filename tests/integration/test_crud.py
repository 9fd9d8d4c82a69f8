"""Create, get, list, update and the server-set metadata, over real HTTP against etcd."""
from __future__ import annotations

from tests.helpers import deployment, pod


async def test_create_get_list_pod_and_server_fields(http, ns):
    created = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("web", {"app": "web"}))
    meta = created["metadata"]
    assert meta["namespace"] == ns and meta["uid"] and meta["creationTimestamp"].endswith("Z")
    assert int(meta["resourceVersion"]) > 0
    assert created["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    assert created["spec"]["restartPolicy"] == "Always"        # defaulted
    got = await http.ok("GET", f"/api/v1/namespaces/{ns}/pods/web")
    assert got["metadata"]["uid"] == meta["uid"]
    assert got["metadata"]["resourceVersion"] == meta["resourceVersion"]
    listed = await http.ok("GET", f"/api/v1/namespaces/{ns}/pods")
    assert listed["kind"] == "PodList" and [p["metadata"]["name"] for p in listed["items"]] == ["web"]
    everywhere = await http.ok("GET", "/api/v1/pods")
    assert any(p["metadata"]["namespace"] == ns for p in everywhere["items"])
    assert int(listed["metadata"]["resourceVersion"]) >= int(meta["resourceVersion"])


async def test_duplicate_is_already_exists(http, ns):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/configmaps",
                  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}})
    status, body = await http.post(f"/api/v1/namespaces/{ns}/configmaps",
                                   {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    assert status == 409 and body["reason"] == "AlreadyExists" and body["kind"] == "Status"


async def test_generate_name(http, ns):
    body = pod("")
    body["metadata"] = {"generateName": "worker-"}
    created = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", body)
    name = created["metadata"]["name"]
    assert name.startswith("worker-") and len(name) == len("worker-") + 5


async def test_stale_resource_version_is_conflict(http, ns):
    created = await http.ok("POST", f"/api/v1/namespaces/{ns}/configmaps",
                            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}})
    first = dict(created, data={"a": "2"})
    updated = await http.ok("PUT", f"/api/v1/namespaces/{ns}/configmaps/c", first)
    assert int(updated["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    stale = dict(created, data={"a": "3"})
    status, body = await http.put(f"/api/v1/namespaces/{ns}/configmaps/c", stale)
    assert status == 409 and body["reason"] == "Conflict"
    assert (await http.ok("GET", f"/api/v1/namespaces/{ns}/configmaps/c"))["data"] == {"a": "2"}


async def test_generation_bumps_on_spec_change_only(http, ns):
    d = await http.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deployment("d"))
    assert d["metadata"]["generation"] == 1
    d["metadata"]["labels"]["extra"] = "yes"
    d = await http.ok("PUT", f"/apis/apps/v1/namespaces/{ns}/deployments/d", d)
    assert d["metadata"]["generation"] == 1
    d["spec"]["replicas"] = 3
    d = await http.ok("PUT", f"/apis/apps/v1/namespaces/{ns}/deployments/d", d)
    assert d["metadata"]["generation"] == 2
    assert d["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": "25%", "maxUnavailable": "25%"}


async def test_status_and_spec_are_updated_separately(http, ns):
    d = await http.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deployment("d"))
    # A plain update cannot write status...
    d["status"] = {"replicas": 7}
    d = await http.ok("PUT", f"/apis/apps/v1/namespaces/{ns}/deployments/d", d)
    assert d.get("status", {}).get("replicas") is None
    # ...the status subresource can, and it cannot change the spec.
    d["status"] = {"replicas": 7}
    d["spec"]["replicas"] = 5
    d = await http.ok("PUT", f"/apis/apps/v1/namespaces/{ns}/deployments/d/status", d)
    assert d["status"]["replicas"] == 7 and d["spec"]["replicas"] == 1
    assert d["metadata"]["generation"] == 1


async def test_a_status_patch_naming_another_uid_is_refused(http, ns):
    """kubelet patches pod status with the pod's uid: it must fail on a new pod of the same name."""
    first = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p"))
    await http.ok("DELETE", f"/api/v1/namespaces/{ns}/pods/p")
    second = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p"))
    stale = {"metadata": {"uid": first["metadata"]["uid"]}, "status": {"message": "from the old pod"}}
    status, answer = await http.patch(f"/api/v1/namespaces/{ns}/pods/p/status", stale)
    assert status == 422 and answer["details"]["causes"][0]["field"] == "metadata.uid", answer
    same = {"metadata": {"uid": second["metadata"]["uid"]}, "status": {"message": "from this pod"}}
    status, answer = await http.patch(f"/api/v1/namespaces/{ns}/pods/p/status", same)
    assert status == 200 and answer["status"]["message"] == "from this pod", answer


async def test_scale_subresource(http, ns):
    await http.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deployment("d", labels={"app": "x"}))
    scale = await http.ok("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/d/scale")
    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 1
    assert scale["status"]["selector"] == "app=x"
    scale["spec"]["replicas"] = 4
    await http.ok("PUT", f"/apis/apps/v1/namespaces/{ns}/deployments/d/scale", scale)
    await http.ok("PATCH", f"/apis/apps/v1/namespaces/{ns}/deployments/d/scale", {"spec": {"replicas": 6}},
                  content_type="application/merge-patch+json")
    d = await http.ok("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/d")
    assert d["spec"]["replicas"] == 6


async def test_binding_assigns_once(http, ns):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p"))
    binding: dict = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"},
                     "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"}}
    status, _ = await http.post(f"/api/v1/namespaces/{ns}/pods/p/binding", binding)
    assert status == 201
    got = await http.ok("GET", f"/api/v1/namespaces/{ns}/pods/p")
    assert got["spec"]["nodeName"] == "node-1"
    assert {"type": "PodScheduled", "status": "True"}.items() <= got["status"]["conditions"][0].items()
    binding["target"]["name"] = "node-2"
    status, body = await http.post(f"/api/v1/namespaces/{ns}/pods/p/binding", binding)
    assert status == 409 and "already assigned" in body["message"]


async def test_cluster_scoped_and_leases(http, unique):
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"n-{unique}"},
            "status": {"capacity": {"cpu": "2"}}}
    created = await http.ok("POST", "/api/v1/nodes", node)
    assert created["status"]["capacity"] == {"cpu": "2"}     # a node may post its status on create
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": f"n-{unique}"},
             "spec": {"holderIdentity": f"n-{unique}", "leaseDurationSeconds": 40}}
    # leases may be created by PUT, as kubelets do
    status, _ = await http.put(f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n-{unique}", lease)
    assert status == 201
    await http.ok("DELETE", f"/api/v1/nodes/n-{unique}")


async def test_binding_annotations_are_copied_to_the_pod(http, ns):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p", {"a": "b"}))
    binding = {"apiVersion": "v1", "kind": "Binding",
               "metadata": {"name": "p", "annotations": {"example.com/why": "best score"}},
               "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"}}
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods/p/binding", binding)
    got = await http.ok("GET", f"/api/v1/namespaces/{ns}/pods/p")
    assert got["metadata"]["annotations"] == {"example.com/why": "best score"}
    assert got["metadata"]["labels"] == {"a": "b"}
