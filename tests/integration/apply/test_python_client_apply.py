"""The official Python client: create_from_yaml (plain and apply=True), dry_run, and a raw apply PATCH."""
from __future__ import annotations

import json

import pytest
from kubernetes import client, utils
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient


def deployment(name: str, replicas: int) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "web", "image": "minikube-py/hello:v1"}]}}}}


@pytest.fixture
def api_client(apiserver):
    with client.ApiClient(client.Configuration(host=apiserver.url)) as api:
        yield api


def test_create_from_yaml_plain_and_with_server_side_apply(api_client, ns):
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}}
    utils.create_from_yaml(api_client, yaml_objects=[configmap], namespace=ns)
    utils.create_from_yaml(api_client, yaml_objects=[deployment("d", 1)], namespace=ns, apply=True)
    utils.create_from_yaml(api_client, yaml_objects=[deployment("d", 3)], namespace=ns, apply=True)
    stored = client.AppsV1Api(api_client).read_namespaced_deployment("d", ns)
    assert stored.spec.replicas == 3
    [entry] = [e for e in stored.metadata.managed_fields if e.manager == "python-client"]
    assert entry.operation == "Apply" and entry.fields_type == "FieldsV1" and "f:replicas" in entry.fields_v1["f:spec"]
    created = client.CoreV1Api(api_client).read_namespaced_config_map("c", ns)
    assert created.metadata.managed_fields[0].operation == "Update"


def test_typed_dry_run_create(api_client, ns):
    apps = client.AppsV1Api(api_client)
    answer = apps.create_namespaced_deployment(ns, deployment("dry", 2), dry_run="All")
    assert answer.metadata.uid and answer.spec.replicas == 2
    with pytest.raises(ApiException) as raised:
        apps.read_namespaced_deployment("dry", ns)
    assert raised.value.status == 404


def test_apply_through_call_api_and_a_conflict_through_the_dynamic_client(api_client, ns):
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/raw"
    request = api_client.param_serialize(
        "PATCH", path, query_params=[("fieldManager", "raw")], body=deployment("raw", 2),
        header_params={"Content-Type": "application/apply-patch+yaml", "Accept": "application/json"})
    response = api_client.call_api(*request)
    response.read()
    assert response.status == 201 and json.loads(response.data)["spec"]["replicas"] == 2
    deployments = DynamicClient(api_client).resources.get(api_version="apps/v1", kind="Deployment")
    with pytest.raises(ApiException) as raised:
        deployments.server_side_apply(body=deployment("raw", 4), name="raw", namespace=ns, field_manager="other")
    error = json.loads(raised.value.body)
    assert raised.value.status == 409 and error["reason"] == "Conflict"
    assert error["details"]["causes"] == [{"reason": "FieldManagerConflict", "message": 'conflict with "raw"',
                                           "field": ".spec.replicas"}]
    forced = deployments.server_side_apply(body=deployment("raw", 4), name="raw", namespace=ns,
                                           field_manager="other", force_conflicts=True)
    assert forced.spec.replicas == 4
