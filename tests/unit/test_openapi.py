"""The OpenAPI v2 document: its JSON form, and the protobuf kubectl decodes."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from apiserver import openapi, openapi_gnostic
from minikube_py.api.resources import RESOURCES

VERSION = "v1.33.0-minikube-py"
POD, CONTAINER, OBJECT_META = ("io.k8s.api.core.v1.Pod", "io.k8s.api.core.v1.Container",
                               "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return openapi.document(VERSION)


@pytest.fixture(scope="module")
def decoded() -> Any:
    """The protobuf body decoded back, as kubectl does."""
    body, _, _ = openapi.encoded(VERSION, True)
    message = openapi_gnostic.Document()
    message.ParseFromString(body)
    return message


def proto_definitions(decoded: Any) -> dict[str, Any]:
    return {named.name: named.value for named in decoded.definitions.additional_properties}


def proto_properties(schema: Any) -> dict[str, Any]:
    return {named.name: named.value for named in schema.properties.additional_properties}


def extensions(schema: Any) -> dict[str, Any]:
    """Vendor extensions parsed back from their YAML text, as kube-openapi does."""
    return {named.name: yaml.safe_load(named.value.yaml) for named in schema.vendor_extension}


def walk(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield schema
    for sub in schema.get("properties", {}).values():
        yield from walk(sub)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from walk(schema[key])


def gvk_of(schema: dict[str, Any]) -> list[dict[str, str]]:
    return schema.get("x-kubernetes-group-version-kind", [])


def test_document_header(doc: dict[str, Any]) -> None:
    assert doc["swagger"] == "2.0" and doc["info"] == {"title": "Kubernetes", "version": VERSION}


def test_every_served_kind_and_its_list_is_defined_with_its_gvk(doc: dict[str, Any]) -> None:
    by_gvk = {(g["group"], g["version"], g["kind"]): name
              for name, schema in doc["definitions"].items() for g in gvk_of(schema)}
    for rt in RESOURCES:
        assert (rt.group, rt.version, rt.kind) in by_gvk, rt.kind
        assert (rt.group, rt.version, rt.kind_list) in by_gvk, rt.kind_list
    assert by_gvk[("", "v1", "Pod")] == POD
    assert by_gvk[("apps", "v1", "Deployment")] == "io.k8s.api.apps.v1.Deployment"
    assert by_gvk[("coordination.k8s.io", "v1", "Lease")] == "io.k8s.api.coordination.v1.Lease"
    assert by_gvk[("autoscaling", "v1", "Scale")] == "io.k8s.api.autoscaling.v1.Scale"


def test_every_reference_resolves(doc: dict[str, Any]) -> None:
    for name, definition in doc["definitions"].items():
        for schema in walk(definition):
            ref = schema.get("$ref")
            if ref:
                assert ref.removeprefix("#/definitions/") in doc["definitions"], f"{name}: {ref}"


def test_schemas_follow_kubectls_parser(doc: dict[str, Any]) -> None:
    """kube-openapi (kubectl 1.20) reads type "object" as a map, arrays need one item schema,
    and a $ref may not carry a type; every field has a description for `kubectl explain`."""
    for name, definition in doc["definitions"].items():
        for schema in walk(definition):
            if schema.get("type") == "object":
                assert "additionalProperties" in schema and "properties" not in schema, name
            if schema.get("type") == "array":
                assert isinstance(schema.get("items"), dict), name
            if "$ref" in schema:
                assert "type" not in schema and "properties" not in schema, name
        for field, schema in definition.get("properties", {}).items():
            assert schema.get("description"), f"{name}.{field} has no description"


def test_fields_and_patch_strategies(doc: dict[str, Any]) -> None:
    spec = doc["definitions"]["io.k8s.api.core.v1.PodSpec"]
    containers = spec["properties"]["containers"]
    assert containers["items"] == {"$ref": f"#/definitions/{CONTAINER}"}
    assert (containers["x-kubernetes-patch-strategy"], containers["x-kubernetes-patch-merge-key"]) == ("merge", "name")
    assert spec["properties"]["volumes"]["x-kubernetes-patch-strategy"] == "merge,retainKeys"
    assert "containers" in spec["required"]
    container = doc["definitions"][CONTAINER]["properties"]
    assert container["ports"]["x-kubernetes-patch-merge-key"] == "containerPort"
    assert container["env"]["x-kubernetes-patch-merge-key"] == "name"
    assert container["resources"]["$ref"].endswith("core.v1.ResourceRequirements")
    meta = doc["definitions"][OBJECT_META]["properties"]
    assert meta["labels"] == {"description": meta["labels"]["description"], "type": "object",
                              "additionalProperties": {"type": "string"}}
    assert meta["finalizers"]["x-kubernetes-patch-strategy"] == "merge"
    strategy = doc["definitions"]["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["strategy"]
    assert strategy["x-kubernetes-patch-strategy"] == "retainKeys"
    quantity = doc["definitions"]["io.k8s.apimachinery.pkg.api.resource.Quantity"]
    assert quantity["type"] == "string"
    assert doc["definitions"]["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"] == "int-or-string"


def test_protobuf_decodes_to_the_same_definitions(doc: dict[str, Any], decoded: Any) -> None:
    definitions = proto_definitions(decoded)
    assert decoded.swagger == "2.0" and decoded.info.version == VERSION
    assert list(definitions) == list(doc["definitions"])
    for name, schema in doc["definitions"].items():
        assert set(proto_properties(definitions[name])) == set(schema.get("properties", {})), name
        assert list(definitions[name].required) == schema.get("required", []), name


def test_protobuf_gvk_and_patch_extensions(decoded: Any) -> None:
    definitions = proto_definitions(decoded)
    assert extensions(definitions[POD])["x-kubernetes-group-version-kind"] == [
        {"group": "", "kind": "Pod", "version": "v1"}]
    assert extensions(definitions["io.k8s.api.apps.v1.DeploymentList"])["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "DeploymentList", "version": "v1"}]
    containers = proto_properties(definitions["io.k8s.api.core.v1.PodSpec"])["containers"]
    assert list(containers.type.value) == ["array"]
    assert containers.items.schema[0]._ref == f"#/definitions/{CONTAINER}"
    assert extensions(containers) == {"x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "name"}


def test_protobuf_kinds_maps_and_free_form_values(decoded: Any) -> None:
    """kube-openapi tells a kind (properties present), a map (additionalProperties) and an
    arbitrary value (nothing at all) apart by which fields are set."""
    definitions = proto_definitions(decoded)
    assert definitions[OBJECT_META].HasField("properties") and not definitions[OBJECT_META].type.value
    labels = proto_properties(definitions[OBJECT_META])["labels"]
    assert list(labels.type.value) == ["object"]
    assert list(labels.additional_properties.schema.type.value) == ["string"]
    affinity = proto_properties(definitions["io.k8s.api.core.v1.PodSpec"])["affinity"]
    assert not affinity.HasField("type") and not affinity.HasField("properties") and not affinity._ref


@pytest.mark.parametrize("accept, protobuf", [
    ("application/com.github.proto-openapi.spec.v2@v1.0+protobuf", True),
    ("application/com.github.proto-openapi.spec.v2.v1.0+protobuf, application/json", True),
    ("application/json", False),
    ("application/json, application/com.github.proto-openapi.spec.v2@v1.0+protobuf", False),
    ("", False),
])
def test_wants_protobuf(accept: str, protobuf: bool) -> None:
    assert openapi.wants_protobuf(accept) is protobuf


def test_schema_notation_errors_name_the_field() -> None:
    table = openapi.load_schema_table()
    with pytest.raises(ValueError, match="unknown type 'core.v1.Nope'"):
        openapi.type_schema("[]core.v1.Nope", table)
    with pytest.raises(ValueError, match="Pod.x.*unknown flag 'sorted'"):
        openapi.field_schema("Pod.x", "string sorted | A field.", table)
