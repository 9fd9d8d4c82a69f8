"""Bad input gets a Kubernetes Status with the right code and the field named; never a 500."""
from __future__ import annotations

import pytest

from tests.helpers import pod


async def test_malformed_json_is_400(http, ns):
    status, body = await http.call("POST", f"/api/v1/namespaces/{ns}/pods", raw=b'{"kind": "Pod", ')
    assert status == 400 and body["kind"] == "Status" and body["reason"] == "BadRequest"


async def test_malformed_yaml_is_400(http, ns):
    status, body = await http.call("POST", f"/api/v1/namespaces/{ns}/pods", raw=b"kind: [Pod\n",
                                   content_type="application/yaml")
    assert status == 400 and body["reason"] == "BadRequest"


async def test_yaml_body_is_accepted(http, ns):
    manifest = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n"
    status, body = await http.call("POST", f"/api/v1/namespaces/{ns}/configmaps", raw=manifest,
                                   content_type="application/yaml")
    assert status == 201 and body["data"] == {"k": "v"}


async def test_invalid_object_names_the_field(http, ns):
    bad = pod("Bad_Name")
    bad["spec"]["containers"].append({"name": "app", "image": ""})
    status, body = await http.post(f"/api/v1/namespaces/{ns}/pods", bad)
    assert status == 422 and body["reason"] == "Invalid"
    fields = {c["field"] for c in body["details"]["causes"]}
    assert "metadata.name" in fields
    assert "spec.containers[1].name" in fields      # duplicate container name
    assert "spec.containers[1].image" in fields
    status, _ = await http.get(f"/api/v1/namespaces/{ns}/pods/Bad_Name")
    assert status == 404                             # nothing half-written


@pytest.mark.parametrize("body", [[1, 2], "a string", {"metadata": "x"},
                                  {"metadata": {"name": "x"}, "spec": {"containers": "nope"}},
                                  {"metadata": {"name": "x", "labels": {"a": 5}}, "spec": []}])
async def test_wrong_shapes_never_500(http, ns, body):
    status, answer = await http.post(f"/api/v1/namespaces/{ns}/pods", body)
    assert 400 <= status < 500 and answer["kind"] == "Status", answer


async def test_not_found_and_unknown_paths(http, ns):
    status, body = await http.get(f"/api/v1/namespaces/{ns}/pods/missing")
    assert status == 404 and body["reason"] == "NotFound" and body["details"]["name"] == "missing"
    status, body = await http.get("/api/v1/widgets")
    assert status == 404 and body["kind"] == "Status"
    status, body = await http.get("/apis/apps/v2/deployments")
    assert status == 404 and body["kind"] == "Status"


async def test_missing_namespace_is_404(http, unique):
    status, body = await http.post(f"/api/v1/namespaces/nope-{unique}/pods", pod("p"))
    assert status == 404 and body["details"]["kind"] == "namespaces"


async def test_unsupported_verb_is_405(http, ns):
    status, body = await http.call("POST", f"/api/v1/namespaces/{ns}/pods/x")
    assert status == 405 and body["kind"] == "Status"
    status, body = await http.call("DELETE", f"/api/v1/namespaces/{ns}/services")
    assert status == 405


async def test_unknown_patch_type_is_415(http, ns):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p"))
    status, body = await http.patch(f"/api/v1/namespaces/{ns}/pods/p", {"metadata": {}}, patch_type="text/plain")
    assert status == 415 and body["reason"] == "UnsupportedMediaType"


async def test_namespace_mismatch_is_400(http, ns):
    body = pod("p")
    body["metadata"]["namespace"] = "other"
    status, answer = await http.post(f"/api/v1/namespaces/{ns}/pods", body)
    assert status == 400 and "namespace" in answer["message"]


async def test_bad_selector_is_400(http, ns):
    status, body = await http.get(f"/api/v1/namespaces/{ns}/pods?labelSelector=a%20in%20(b")
    assert status == 400 and body["reason"] == "BadRequest"
    status, body = await http.get(f"/api/v1/namespaces/{ns}/pods?fieldSelector=spec.bogus%3Dx")
    assert status == 400 and "field label not supported" in body["message"]
