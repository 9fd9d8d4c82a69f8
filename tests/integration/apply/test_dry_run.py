"""Server-side dry run (`?dryRun=All`): the whole write pipeline runs, nothing is stored.

Checked against the real API server and etcd: the answer is the object as it
would have been stored (defaults applied, uid and creationTimestamp set, a
ClusterIP picked), the stored object and its resourceVersion do not move, and
no ClusterIP/NodePort key is left claimed in etcd.
"""
from __future__ import annotations

import subprocess

from tests.helpers import deployment, pod

DRY = "?dryRun=All"


def etcd_keys(apiserver, suffix: str) -> list[str]:
    """The keys under <prefix>/<suffix> in the server's etcd (read with etcdctl)."""
    prefix = f"{apiserver.prefix}/{suffix}"
    out = subprocess.run(["etcdctl", "--endpoints", apiserver.etcd.endpoint, "get", "--prefix", "--keys-only",
                          prefix], check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def service(name: str, **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80}], **spec}}


async def test_dry_run_create_answers_the_defaulted_object_and_stores_nothing(http, ns):
    answer = await http.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments{DRY}", deployment("d"))
    assert answer["metadata"]["uid"] and answer["metadata"]["creationTimestamp"]
    assert not answer["metadata"].get("resourceVersion")
    assert answer["spec"]["strategy"]["type"] == "RollingUpdate"          # defaults ran
    status, _ = await http.get(f"/apis/apps/v1/namespaces/{ns}/deployments/d")
    assert status == 404


async def test_dry_run_create_still_validates_and_checks_the_name(http, ns):
    bad = deployment("d")
    bad["spec"]["replicas"] = -1
    status, body = await http.post(f"/apis/apps/v1/namespaces/{ns}/deployments{DRY}", bad)
    assert status == 422 and body["details"]["causes"][0]["field"] == "spec.replicas"
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p"))
    status, body = await http.post(f"/api/v1/namespaces/{ns}/pods{DRY}", pod("p"))
    assert status == 409 and body["reason"] == "AlreadyExists"


async def test_dry_run_update_and_every_patch_type_leave_the_object_alone(http, ns):
    path = f"/api/v1/namespaces/{ns}/pods/p"
    created = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p", {"a": "1"}))
    rv = created["metadata"]["resourceVersion"]
    replaced = {**created, "metadata": {**created["metadata"], "labels": {"a": "put"}}}
    answers = [
        await http.ok("PUT", path + DRY, replaced),
        await http.ok("PATCH", path + DRY, {"metadata": {"labels": {"a": "merge"}}},
                      content_type="application/merge-patch+json"),
        await http.ok("PATCH", path + DRY, [{"op": "replace", "path": "/metadata/labels/a", "value": "json"}],
                      content_type="application/json-patch+json"),
        await http.ok("PATCH", path + DRY, {"metadata": {"labels": {"a": "smp"}}},
                      content_type="application/strategic-merge-patch+json"),
    ]
    assert [a["metadata"]["labels"]["a"] for a in answers] == ["put", "merge", "json", "smp"]
    assert all(a["metadata"]["resourceVersion"] == rv for a in answers)
    assert all(a["metadata"]["uid"] == created["metadata"]["uid"] for a in answers)
    stored = await http.ok("GET", path)
    assert stored["metadata"]["labels"] == {"a": "1"} and stored["metadata"]["resourceVersion"] == rv


async def test_dry_run_delete_and_deletecollection_keep_the_objects(http, ns):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "c"}, "data": {"k": "v"}})
    await http.ok("DELETE", f"/api/v1/namespaces/{ns}/configmaps/c{DRY}")
    await http.ok("DELETE", f"/api/v1/namespaces/{ns}/configmaps{DRY}")
    await http.ok("DELETE", f"/api/v1/namespaces/{ns}/configmaps/c", {"dryRun": ["All"]})
    assert (await http.ok("GET", f"/api/v1/namespaces/{ns}/configmaps/c"))["data"] == {"k": "v"}


async def test_dry_run_service_shows_an_address_but_claims_none(apiserver, http, ns):
    claimed = set(etcd_keys(apiserver, "ranges/"))
    answer = await http.ok("POST", f"/api/v1/namespaces/{ns}/services{DRY}", service("s", type="NodePort"))
    assert answer["spec"]["clusterIP"] and answer["spec"]["ports"][0]["nodePort"]
    explicit = await http.ok("POST", f"/api/v1/namespaces/{ns}/services{DRY}",
                             service("e", clusterIP=answer["spec"]["clusterIP"]))
    assert explicit["spec"]["clusterIP"] == answer["spec"]["clusterIP"]
    assert set(etcd_keys(apiserver, "ranges/")) == claimed
    # the address a dry run showed is still free for a real create
    real = await http.ok("POST", f"/api/v1/namespaces/{ns}/services",
                         service("e", clusterIP=answer["spec"]["clusterIP"]))
    to_node_port = {"spec": {"type": "NodePort"}}
    patched = await http.ok("PATCH", f"/api/v1/namespaces/{ns}/services/e{DRY}", to_node_port,
                            content_type="application/merge-patch+json")
    assert patched["spec"]["ports"][0]["nodePort"]
    assert set(etcd_keys(apiserver, "ranges/")) == claimed | {
        f"{apiserver.prefix}/ranges/serviceips/{real['spec']['clusterIP']}"}
    await http.ok("DELETE", f"/api/v1/namespaces/{ns}/services/e{DRY}")
    assert f"{apiserver.prefix}/ranges/serviceips/{real['spec']['clusterIP']}" in etcd_keys(apiserver, "ranges/")


async def test_unknown_dry_run_value_is_refused_as_kubernetes_does(http, ns):
    status, body = await http.post(f"/api/v1/namespaces/{ns}/configmaps?dryRun=Some", {"metadata": {"name": "c"}})
    assert status == 422, body
    assert body["message"] == ('CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: '
                               '[]string{"Some"}: supported values: "All"')
    assert body["details"]["causes"] == [{"reason": "FieldValueNotSupported", "field": "dryRun",
                                          "message": 'Unsupported value: []string{"Some"}: supported values: "All"'}]
    status, body = await http.delete(f"/api/v1/namespaces/{ns}/configmaps/c?dryRun=x")
    assert status == 422 and body["message"].startswith("DeleteOptions.meta.k8s.io")


async def test_delete_options_dry_run_values_are_checked_too(http, ns):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "c"}})
    status, body = await http.delete(f"/api/v1/namespaces/{ns}/configmaps/c", {"dryRun": ["Nope"]})
    assert status == 422 and body["details"]["causes"][0]["field"] == "dryRun"
    assert (await http.get(f"/api/v1/namespaces/{ns}/configmaps/c"))[0] == 200


async def test_dry_run_server_side_apply_creates_and_changes_nothing(http, ns):
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}}
    path = f"/api/v1/namespaces/{ns}/configmaps/a?fieldManager=me"
    status, answer = await http.call("PATCH", path + "&dryRun=All", config, content_type="application/apply-patch+yaml")
    assert status == 201 and answer["metadata"]["managedFields"][0]["operation"] == "Apply"
    assert (await http.get(f"/api/v1/namespaces/{ns}/configmaps/a"))[0] == 404
    await http.ok("PATCH", path, config, content_type="application/apply-patch+yaml")
    changed = {**config, "data": {"k": "w"}}
    answer = await http.ok("PATCH", path + "&dryRun=All", changed, content_type="application/apply-patch+yaml")
    assert answer["data"] == {"k": "w"}
    assert (await http.ok("GET", f"/api/v1/namespaces/{ns}/configmaps/a"))["data"] == {"k": "v"}


async def test_apply_patch_cbor_is_unsupported(http, ns):
    status, body = await http.call("PATCH", f"/api/v1/namespaces/{ns}/configmaps/a?fieldManager=me", raw=b"\xa0",
                                   content_type="application/apply-patch+cbor")
    assert status == 415 and body["reason"] == "UnsupportedMediaType"
