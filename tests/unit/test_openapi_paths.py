"""/openapi/v2 lists every served path and operation, from the resource registry."""
from __future__ import annotations

from apiserver import openapi
from minikube_py.api.resources import RESOURCES


def _doc():
    return openapi.document("v1.20.0-test")


def test_every_resource_has_its_collection_and_object_paths():
    paths = _doc()["paths"]
    for rt in RESOURCES:
        base = "/api/v1" if not rt.group else f"/apis/{rt.group}/{rt.version}"
        collection = f"{base}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{base}/{rt.plural}"
        assert ("post" in paths[collection]) == ("create" in rt.verbs)
        assert ("get" in paths[collection]) == ("list" in rt.verbs)
        assert ("patch" in paths[f"{collection}/{{name}}"]) == ("patch" in rt.verbs)
        for subresource in rt.subresources:
            assert f"{collection}/{{name}}/{subresource}" in paths


def test_operations_name_their_verb_parameters_and_schemas():
    doc = _doc()
    pods = doc["paths"]["/api/v1/namespaces/{namespace}/pods"]
    assert pods["get"]["operationId"] == "listCoreV1NamespacedPod"
    assert pods["get"]["x-kubernetes-action"] == "list"
    assert {p["name"] for p in pods["get"]["parameters"]} >= {"labelSelector", "limit", "continue", "watch"}
    assert pods["post"]["parameters"][0]["schema"] == {"$ref": "#/definitions/io.k8s.api.core.v1.Pod"}
    assert {p["name"] for p in pods["parameters"]} == {"namespace"}
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert "application/strategic-merge-patch+json" in patch["consumes"]
    assert doc["paths"]["/api/v1/pods"]["get"]["operationId"] == "listCoreV1PodForAllNamespaces"


def test_every_reference_resolves():
    doc = _doc()
    refs: list[str] = []

    def walk(value):
        if isinstance(value, dict):
            refs.extend(v for k, v in value.items() if k == "$ref")
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
    walk(doc["paths"])
    assert refs and all(ref.removeprefix("#/definitions/") in doc["definitions"] for ref in refs)
