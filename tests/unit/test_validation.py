"""Validation of API objects: exact field paths and reasons, valid objects, and a fuzz test.

Objects go through `apply_defaults` first, as in the API server, so the
examples can leave out what Kubernetes fills in.
"""
from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from minikube_py.api.defaults import apply_defaults
from minikube_py.api.resources import RESOURCES
from minikube_py.api.validation import MAX_NESTING_DEPTH, validate
from tests.helpers import resource_type

REASONS = {"FieldValueRequired", "FieldValueInvalid", "FieldValueDuplicate", "FieldValueNotSupported",
           "FieldValueForbidden", "FieldValueTooLong", "FieldValueNotFound"}
SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")


# -- example objects -------------------------------------------------------------------
def meta(name: str = "web", namespace: str | None = "default", **extra: Any) -> dict[str, Any]:
    return {"name": name, **({"namespace": namespace} if namespace else {}), **extra}


def full_pod_spec() -> dict[str, Any]:
    """A pod using most of what validation knows about; every part of it is valid."""
    return {
        "initContainers": [{"name": "init", "image": "busybox:1.36", "command": ["sh", "-c", "true"]}],
        "containers": [{
            "name": "app", "image": "nginx:1.25", "command": ["nginx"], "args": ["-g", "daemon off;"],
            "workingDir": "/", "stdin": False,
            "ports": [{"name": "http", "containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
            "env": [
                {"name": "MODE", "value": "prod"},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
                {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}},
                {"name": "COLOR", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "color"}}},
                {"name": "my.token",
                 "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token", "optional": True}}},
            ],
            "envFrom": [{"configMapRef": {"name": "settings"}, "prefix": "CFG_"}, {"secretRef": {"name": "creds"}}],
            "resources": {"requests": {"cpu": "250m", "memory": "64Mi"},
                          "limits": {"cpu": 1, "memory": "128Mi", "example.com/gpu": "1", "hugepages-2Mi": "0"}},
            "volumeMounts": [{"name": "cache", "mountPath": "/cache"},
                             {"name": "config", "mountPath": "/etc/app", "readOnly": True},
                             {"name": "info", "mountPath": "/etc/podinfo"},
                             {"name": "all", "mountPath": "/etc/all", "subPath": "sub/dir"}],
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http",
                                          "httpHeaders": [{"name": "X-Probe", "value": "1"}]},
                              "initialDelaySeconds": 3},
            "readinessProbe": {"tcpSocket": {"port": 80}, "successThreshold": 2},
            "startupProbe": {"exec": {"command": ["cat", "/tmp/ready"]}, "failureThreshold": 30},
            "lifecycle": {"preStop": {"exec": {"command": ["nginx", "-s", "quit"]}},
                          "postStart": {"sleep": {"seconds": 1}}},
            "securityContext": {"runAsUser": 1000, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}},
        }, {"name": "sidecar", "image": "busybox", "command": ["sleep", "3600"], "imagePullPolicy": "Never"}],
        "volumes": [
            {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
            {"name": "config", "configMap": {"name": "settings",
                                             "items": [{"key": "color", "path": "color.txt", "mode": 0o600}]}},
            {"name": "creds", "secret": {"secretName": "creds", "defaultMode": 0o400}},
            {"name": "info", "downwardAPI": {"items": [
                {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                {"path": "cpu", "resourceFieldRef": {"containerName": "app", "resource": "requests.cpu"}}]}},
            {"name": "all", "projected": {"sources": [
                {"configMap": {"name": "settings"}}, {"secret": {"name": "creds"}},
                {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}}]}},
            {"name": "host", "hostPath": {"path": "/var/log", "type": "Directory"}},
            {"name": "claim", "persistentVolumeClaim": {"claimName": "data"}},
        ],
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"},
                        {"operator": "Exists"}],
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [
                    {"key": "disk", "operator": "In", "values": ["ssd"]},
                    {"key": "cores", "operator": "Gt", "values": ["2"]}]}]},
                "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 10, "preference": {
                    "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-1"]}]}}]},
            "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
                "labelSelector": {"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
                "topologyKey": "topology.kubernetes.io/zone", "namespaces": ["default"]}]},
            "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": {
                "labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "kubernetes.io/hostname"}}]},
        },
        "dnsPolicy": "None",
        "dnsConfig": {"nameservers": ["10.96.0.10"], "searches": ["default.svc.cluster.local."],
                      "options": [{"name": "ndots", "value": "5"}]},
        "securityContext": {"runAsNonRoot": True, "fsGroup": 2000, "supplementalGroups": [3000]},
        "serviceAccountName": "default", "hostname": "web-0", "subdomain": "web", "activeDeadlineSeconds": 3600,
        "imagePullSecrets": [{"name": "registry"}],
    }


def simple_pod_spec() -> dict[str, Any]:
    return {"containers": [{"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}]}


def template(labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": "web"} if labels is None else labels},
            "spec": {**simple_pod_spec(), **spec}}


def examples() -> dict[str, dict[str, Any]]:
    """One valid object per kind (fresh copies on every call)."""
    selector = {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "NotIn",
                                                                     "values": ["db"]}]}
    return {
        "Pod": {"metadata": meta(labels={"app": "web", "example.com/tier": "front"},
                                 annotations={"Example.com/Note": "anything goes here"}),
                "spec": full_pod_spec()},
        "Namespace": {"metadata": meta("team-a", None), "spec": {"finalizers": ["kubernetes", "example.com/x"]}},
        "Node": {"metadata": meta("node-1.lab", None, labels={"kubernetes.io/hostname": "node-1"}),
                 "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"], "unschedulable": False,
                          "taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
                                     {"key": "dedicated", "value": "gpu", "effect": "NoExecute"}]}},
        "Service": {"metadata": meta(), "spec": {
            "type": "NodePort", "selector": {"app": "web"}, "clusterIP": "10.96.0.20",
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080},
                      {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 5353}],
            "sessionAffinity": "ClientIP", "externalTrafficPolicy": "Local", "externalIPs": ["192.168.56.10"]}},
        "Endpoints": {"metadata": meta(), "subsets": [{
            "addresses": [{"ip": "10.244.1.5", "nodeName": "node-1", "targetRef": {"kind": "Pod", "name": "web-1"}}],
            "notReadyAddresses": [{"ip": "10.244.2.7", "hostname": "web-2"}],
            "ports": [{"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}]}]},
        "ConfigMap": {"metadata": meta("settings"), "data": {"color": "blue", "app.properties": "a=b\n"},
                      "binaryData": {"logo.png": "iVBORw0KGgo="}},
        "Secret": {"metadata": meta("creds"), "type": "kubernetes.io/tls",
                   "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"}, "stringData": {"note": "plain text"}},
        "Event": {"metadata": meta("web.17a2b3c4"), "involvedObject": {"kind": "Pod", "name": "web",
                                                                       "namespace": "default"},
                  "reason": "Started", "message": "Started container app", "type": "Normal", "count": 2,
                  "firstTimestamp": "2024-05-01T10:00:00Z", "lastTimestamp": "2024-05-01T10:05:00Z"},
        "Deployment": {"metadata": meta(), "spec": {
            "replicas": 3, "selector": copy.deepcopy(selector), "template": template(),
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "50%"}},
            "minReadySeconds": 5, "progressDeadlineSeconds": 120}},
        "ReplicaSet": {"metadata": meta(), "spec": {"replicas": 2, "selector": copy.deepcopy(selector),
                                                    "template": template()}},
        "ReplicationController": {"metadata": meta(), "spec": {"replicas": 2, "selector": {"app": "web"},
                                                               "template": template()}},
        "DaemonSet": {"metadata": meta("agent"), "spec": {"selector": {"matchLabels": {"app": "web"}},
                                                          "template": template(),
                                                          "updateStrategy": {"type": "OnDelete"}}},
        "Job": {"metadata": meta("pi", uid="0f4c2a9e-1111-2222-3333-444455556666"), "spec": {
            "template": template({}, restartPolicy="Never"), "backoffLimit": 4, "completions": 5,
            "parallelism": 2, "completionMode": "Indexed", "ttlSecondsAfterFinished": 100}},
        "PriorityClass": {"metadata": meta("high", None), "value": 1000, "globalDefault": False,
                          "description": "latency-critical services", "preemptionPolicy": "Never"},
        "Lease": {"metadata": meta("node-1", "kube-node-lease"), "spec": {
            "holderIdentity": "node-1", "leaseDurationSeconds": 40,
            "renewTime": "2024-05-01T10:00:00.123456Z", "leaseTransitions": 0}},
        "PodDisruptionBudget": {"metadata": meta("web-pdb"), "spec": {
            "minAvailable": "50%", "selector": copy.deepcopy(selector), "unhealthyPodEvictionPolicy": "AlwaysAllow"},
            "status": {"disruptionsAllowed": 1, "currentHealthy": 3, "desiredHealthy": 2, "expectedPods": 3,
                       "observedGeneration": 1, "disruptedPods": {"web-1": "2024-05-01T10:00:00Z"},
                       "conditions": [{"type": "DisruptionAllowed", "status": "True", "reason": "SufficientPods",
                                       "message": "", "lastTransitionTime": "2024-05-01T10:00:00Z"}]}},
        "NetworkPolicy": {"metadata": meta("db"), "spec": {
            "podSelector": copy.deepcopy(selector), "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
                         "ports": [{"protocol": "TCP", "port": 8080, "endPort": 8090}]}]}},
    }


# -- helpers ---------------------------------------------------------------------------


def causes_of(kind: str, obj: dict[str, Any], old: dict[str, Any] | None = None) -> list[dict[str, str]]:
    """Default, then validate, like the API server does."""
    apply_defaults(resource_type(kind), obj)
    return validate(resource_type(kind), obj, old)


def found(causes: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(c["field"], c["reason"]) for c in causes}


def message_for(causes: list[dict[str, str]], field: str) -> str:
    messages = [c["message"] for c in causes if c["field"] == field]
    assert messages, f"no cause for {field}: {causes}"
    return messages[0]


def example(kind: str) -> dict[str, Any]:
    return examples()[kind]


def stored(kind: str, obj: dict[str, Any] | None = None) -> dict[str, Any]:
    """An object as the server would have stored it (defaulted and valid)."""
    obj = obj if obj is not None else example(kind)
    assert causes_of(kind, obj) == []
    return obj


# -- valid objects ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(examples()))
def test_valid_examples_have_no_causes(kind: str) -> None:
    assert causes_of(kind, example(kind)) == []


@pytest.mark.parametrize("kind", sorted(examples()))
def test_unchanged_update_is_valid(kind: str) -> None:
    old = stored(kind)
    assert causes_of(kind, copy.deepcopy(old), old) == []


# What kubectl 1.2x sends for `kubectl run/create/expose` (namespace and uid as the server sets them).
KUBECTL_BODIES: dict[str, dict[str, Any]] = {
    "Pod": {"metadata": {"name": "nginx", "namespace": "default", "creationTimestamp": None,
                         "labels": {"run": "nginx"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}], "restartPolicy": "Always",
                     "dnsPolicy": "ClusterFirst"}, "status": {}},
    "Deployment": {"metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}}, "spec": {
        "replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "strategy": {}, "template": {
            "metadata": {"creationTimestamp": None, "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}]}}}, "status": {}},
    "Job": {"metadata": {"name": "pi", "namespace": "default", "uid": "5a1b"}, "spec": {"template": {
        "metadata": {"creationTimestamp": None},
        "spec": {"containers": [{"name": "pi", "image": "perl", "resources": {}}], "restartPolicy": "Never"}}},
        "status": {}},
    "Service": {"metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}}, "spec": {
        "ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}],
        "selector": {"app": "web"}, "type": "ClusterIP"}, "status": {"loadBalancer": {}}},
    "Namespace": {"metadata": {"name": "team-a", "creationTimestamp": None}, "spec": {}, "status": {}},
    "ConfigMap": {"metadata": {"name": "settings", "namespace": "default"}, "data": {"color": "blue"}},
    "Secret": {"metadata": {"name": "creds", "namespace": "default"}, "data": {"password": "czNjcjN0"}},
}


@pytest.mark.parametrize("kind", sorted(KUBECTL_BODIES))
def test_what_kubectl_sends_is_valid(kind: str) -> None:
    assert causes_of(kind, copy.deepcopy(KUBECTL_BODIES[kind])) == []


def test_validation_does_not_change_the_object() -> None:
    for kind, obj in examples().items():
        apply_defaults(resource_type(kind), obj)
        before = copy.deepcopy(obj)
        validate(resource_type(kind), obj, copy.deepcopy(obj))
        assert obj == before, kind


def test_every_served_kind_has_an_example() -> None:
    assert {r.kind for r in RESOURCES} == set(examples())


# -- metadata --------------------------------------------------------------------------
def test_name_is_required_unless_generate_name() -> None:
    pod = example("Pod")
    del pod["metadata"]["name"]
    causes = causes_of("Pod", pod)
    assert causes == [{"field": "metadata.name", "reason": "FieldValueRequired",
                       "message": "Required value: name or generateName is required"}]
    pod["metadata"]["generateName"] = "web-"
    assert causes_of("Pod", pod) == []


def test_bad_name_reads_like_kubernetes() -> None:
    pod = example("Pod")
    pod["metadata"]["name"] = "Foo_Bar"
    assert causes_of("Pod", pod) == [{"field": "metadata.name", "reason": "FieldValueInvalid",
                                      "message": f'Invalid value: "Foo_Bar": {SUBDOMAIN_MESSAGE}'}]


def test_name_longer_than_a_subdomain() -> None:
    config_map = example("ConfigMap")
    config_map["metadata"]["name"] = "a" * 254
    assert message_for(causes_of("ConfigMap", config_map), "metadata.name").endswith(
        "must be no more than 253 characters")


def test_service_names_are_dns1035_labels() -> None:
    service = example("Service")
    service["metadata"]["name"] = "1web"                  # fine for a ConfigMap, not for a Service
    assert "a DNS-1035 label must consist of" in message_for(causes_of("Service", service), "metadata.name")
    config_map = example("ConfigMap")
    config_map["metadata"]["name"] = "1web"
    assert causes_of("ConfigMap", config_map) == []


def test_namespace_names_are_labels_without_dots() -> None:
    namespace = example("Namespace")
    namespace["metadata"]["name"] = "team.a"
    assert message_for(causes_of("Namespace", namespace), "metadata.name") == \
        'Invalid value: "team.a": must not contain dots'


def test_namespace_required_for_namespaced_and_forbidden_for_cluster_scoped() -> None:
    pod = example("Pod")
    del pod["metadata"]["namespace"]
    assert found(causes_of("Pod", pod)) == {("metadata.namespace", "FieldValueRequired")}
    node = example("Node")
    node["metadata"]["namespace"] = "default"
    assert causes_of("Node", node) == [{"field": "metadata.namespace", "reason": "FieldValueForbidden",
                                        "message": "Forbidden: not allowed on this type"}]
    pod = example("Pod")
    pod["metadata"]["namespace"] = "Bad_NS"
    assert found(causes_of("Pod", pod)) == {("metadata.namespace", "FieldValueInvalid")}


def test_label_keys_and_values() -> None:
    pod = example("Pod")
    pod["metadata"]["labels"] = {"example.com/": "x", "ok": "-bad-", "a" * 64: "v", "good/key": "v" * 64}
    causes = causes_of("Pod", pod)
    assert {c["field"] for c in causes} == {"metadata.labels"}
    messages = [c["message"] for c in causes]
    assert 'Invalid value: "example.com/": name part must be non-empty' in messages
    assert any(m.startswith('Invalid value: "-bad-": a valid label must be an empty string') for m in messages)
    assert f'Invalid value: "{"a" * 64}": name part must be no more than 63 characters' in messages
    assert f'Invalid value: "{"v" * 64}": must be no more than 63 characters' in messages
    assert len(causes) == 5        # the name part of "example.com/" also fails the name regex


def test_annotation_keys_and_total_size() -> None:
    pod = example("Pod")
    pod["metadata"]["annotations"] = {"not a key": "x"}
    assert found(causes_of("Pod", pod)) == {("metadata.annotations", "FieldValueInvalid")}
    pod["metadata"]["annotations"] = {"big": "x" * (256 * 1024)}
    assert causes_of("Pod", pod) == [{"field": "metadata.annotations", "reason": "FieldValueTooLong",
                                      "message": "Too long: must have at most 262144 bytes"}]


def test_finalizers_and_owner_references() -> None:
    pod = example("Pod")
    pod["metadata"]["finalizers"] = ["custom", "example.com/cleanup"]
    pod["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "a", "uid": "1", "controller": True},
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "b", "controller": True}]
    assert found(causes_of("Pod", pod)) == {("metadata.finalizers[0]", "FieldValueInvalid"),
                                            ("metadata.ownerReferences[1].uid", "FieldValueRequired"),
                                            ("metadata.ownerReferences", "FieldValueInvalid")}


def test_metadata_identity_is_immutable() -> None:
    old = stored("ConfigMap")
    new = copy.deepcopy(old)
    new["metadata"]["uid"], old["metadata"]["uid"] = "new-uid", "old-uid"
    assert causes_of("ConfigMap", new, old) == [{"field": "metadata.uid", "reason": "FieldValueInvalid",
                                                 "message": 'Invalid value: "new-uid": field is immutable'}]


# -- wrong JSON types -------------------------------------------------------------------
@pytest.mark.parametrize("path, value, field, detail", [
    (("spec", "containers"), "nginx", "spec.containers", "must be an array"),
    (("metadata", "labels"), ["app"], "metadata.labels", "must be an object"),
    (("metadata", "labels", "app"), 5, "metadata.labels[app]", "must be a string"),
    (("spec", "containers", 0, "ports", 0, "containerPort"), "80", "spec.containers[0].ports[0].containerPort",
     "must be an integer"),
    (("spec", "containers", 0, "env", 0), "MODE=prod", "spec.containers[0].env[0]", "must be an object"),
    (("spec", "hostNetwork"), "yes", "spec.hostNetwork", "must be a boolean"),
    (("spec", "terminationGracePeriodSeconds"), 30.5, "spec.terminationGracePeriodSeconds", "must be an integer"),
    (("spec", "volumes", 0, "emptyDir"), [], "spec.volumes[0].emptyDir", "must be an object"),
    (("spec",), "nothing", "spec", "must be an object"),
])
def test_wrong_types_name_the_field(path: tuple[Any, ...], value: Any, field: str, detail: str) -> None:
    pod = example("Pod")
    parent = pod
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    causes = validate(resource_type("Pod"), pod)     # without defaulting: defaulting skips wrong types anyway
    assert any(c["field"] == field and c["message"].endswith(detail) and c["reason"] == "FieldValueInvalid"
               for c in causes), causes


def test_object_that_is_not_an_object() -> None:
    assert found(validate(resource_type("Pod"), ["not", "a", "pod"])) == {("", "FieldValueInvalid")}


def test_deeply_nested_input_is_refused_not_crashed() -> None:
    deep: Any = "leaf"
    for _ in range(5000):
        deep = {"x": deep}
    pod = example("Pod")
    pod["metadata"]["annotations"] = deep
    causes = validate(resource_type("Pod"), pod)
    assert causes and causes[0]["message"].endswith(f"must not be nested more than {MAX_NESTING_DEPTH} levels deep")


# -- pods ------------------------------------------------------------------------------
def pod_with(**changes: Any) -> dict[str, Any]:
    pod = {"metadata": meta(), "spec": simple_pod_spec()}
    pod["spec"].update(changes)
    return pod


def container_with(**changes: Any) -> dict[str, Any]:
    pod = pod_with()
    pod["spec"]["containers"][0].update(changes)
    return pod


def test_pod_needs_a_container() -> None:
    assert causes_of("Pod", pod_with(containers=[])) == [
        {"field": "spec.containers", "reason": "FieldValueRequired", "message": "Required value"}]


def test_container_names_unique_across_init_and_app_containers() -> None:
    pod = pod_with(initContainers=[{"name": "app", "image": "busybox"}])
    assert found(causes_of("Pod", pod)) == {("spec.containers[0].name", "FieldValueDuplicate")}


def test_container_name_and_image() -> None:
    pod = pod_with(containers=[{"name": "App", "image": ""}, {"name": "b", "image": " nginx"}])
    assert found(causes_of("Pod", pod)) == {("spec.containers[0].name", "FieldValueInvalid"),
                                            ("spec.containers[0].image", "FieldValueRequired"),
                                            ("spec.containers[1].image", "FieldValueInvalid")}


def test_container_ports() -> None:
    pod = container_with(ports=[{"containerPort": 0}, {"containerPort": 65536, "protocol": "ICMP"},
                                {"containerPort": 80, "name": "web"}, {"containerPort": 81, "name": "web"},
                                {"containerPort": 82, "name": "8080"}, {"containerPort": 83, "hostPort": 70000}])
    causes = causes_of("Pod", pod)
    assert found(causes) == {
        ("spec.containers[0].ports[0].containerPort", "FieldValueInvalid"),
        ("spec.containers[0].ports[1].containerPort", "FieldValueInvalid"),
        ("spec.containers[0].ports[1].protocol", "FieldValueNotSupported"),
        ("spec.containers[0].ports[3].name", "FieldValueDuplicate"),
        ("spec.containers[0].ports[4].name", "FieldValueInvalid"),
        ("spec.containers[0].ports[5].hostPort", "FieldValueInvalid")}
    assert message_for(causes, "spec.containers[0].ports[1].containerPort") == \
        "Invalid value: 65536: must be between 1 and 65535, inclusive"
    assert message_for(causes, "spec.containers[0].ports[1].protocol") == \
        'Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"'
    assert message_for(causes, "spec.containers[0].ports[4].name") == \
        'Invalid value: "8080": must contain at least one letter (a-z)'


def test_host_network_ports_must_match() -> None:
    pod = container_with(ports=[{"containerPort": 80, "hostPort": 8080}])
    pod["spec"]["hostNetwork"] = True
    assert found(causes_of("Pod", pod)) == {("spec.containers[0].ports[0].hostPort", "FieldValueInvalid")}


def test_env_names_and_sources() -> None:
    pod = container_with(env=[
        {"name": "1ABC"},
        {"name": "A", "valueFrom": {}},
        {"name": "B", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "C", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"},
                                    "secretKeyRef": {"name": "s", "key": "k"}}},
        {"name": "D", "valueFrom": {"fieldRef": {"fieldPath": "status.phase"}}},
        {"name": "E", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "a/b"}}},
        {"name": "F", "valueFrom": {"resourceFieldRef": {"resource": "limits.gpu"}}},
    ])
    causes = causes_of("Pod", pod)
    env = "spec.containers[0].env"
    assert found(causes) == {
        (f"{env}[0].name", "FieldValueInvalid"),
        (f"{env}[1].valueFrom", "FieldValueInvalid"),
        (f"{env}[2].valueFrom", "FieldValueInvalid"),
        (f"{env}[3].valueFrom", "FieldValueInvalid"),
        (f"{env}[4].valueFrom.fieldRef.fieldPath", "FieldValueNotSupported"),
        (f"{env}[5].valueFrom.configMapKeyRef.key", "FieldValueInvalid"),
        (f"{env}[6].valueFrom.resourceFieldRef.resource", "FieldValueNotSupported")}
    assert message_for(causes, f"{env}[1].valueFrom") == ('Invalid value: "": must specify one of: `fieldRef`, '
                                                          '`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`')
    assert message_for(causes, f"{env}[2].valueFrom").endswith("may not be specified when `value` is not empty")
    assert message_for(causes, f"{env}[3].valueFrom").endswith("may not have more than one field specified at a time")


def test_env_from_needs_exactly_one_source() -> None:
    pod = container_with(envFrom=[{}, {"configMapRef": {"name": "a"}, "secretRef": {"name": "b"}},
                                  {"prefix": "1X", "secretRef": {"name": "b"}}])
    assert found(causes_of("Pod", pod)) == {("spec.containers[0].envFrom[0]", "FieldValueInvalid"),
                                            ("spec.containers[0].envFrom[1]", "FieldValueInvalid"),
                                            ("spec.containers[0].envFrom[2].prefix", "FieldValueInvalid")}


def test_resources() -> None:
    pod = container_with(resources={"requests": {"cpu": "2", "memory": "12xyz", "storage": "1Gi"},
                                    "limits": {"cpu": "1500m", "memory": "-1Mi", "example.com/gpu": []}})
    causes = causes_of("Pod", pod)
    resources = "spec.containers[0].resources"
    assert found(causes) == {(f"{resources}.requests[cpu]", "FieldValueInvalid"),
                             (f"{resources}.requests[memory]", "FieldValueInvalid"),
                             (f"{resources}.requests[storage]", "FieldValueInvalid"),
                             (f"{resources}.limits[memory]", "FieldValueInvalid"),
                             (f"{resources}.limits[example.com/gpu]", "FieldValueInvalid")}
    assert message_for(causes, f"{resources}.requests[cpu]") == \
        'Invalid value: "2": must be less than or equal to cpu limit of 1500m'
    assert message_for(causes, f"{resources}.limits[memory]") == \
        'Invalid value: "-1Mi": must be greater than or equal to 0'
    assert message_for(causes, f"{resources}.requests[storage]").endswith("must be a standard resource for containers")
    assert "unknown suffix 'xyz'" in message_for(causes, f"{resources}.requests[memory]")


def test_requests_equal_to_limits_written_differently_are_fine() -> None:
    pod = container_with(resources={"requests": {"cpu": "1", "memory": "1Gi"},
                                    "limits": {"cpu": "1000m", "memory": 1073741824}})
    assert causes_of("Pod", pod) == []


def test_pod_enums() -> None:
    pod = pod_with(restartPolicy="Sometimes", dnsPolicy="Google")
    pod["spec"]["containers"][0].update(imagePullPolicy="Maybe", terminationMessagePolicy="Log")
    causes = causes_of("Pod", pod)
    assert found(causes) == {("spec.restartPolicy", "FieldValueNotSupported"),
                             ("spec.dnsPolicy", "FieldValueNotSupported"),
                             ("spec.containers[0].imagePullPolicy", "FieldValueNotSupported"),
                             ("spec.containers[0].terminationMessagePolicy", "FieldValueNotSupported")}
    assert message_for(causes, "spec.containers[0].imagePullPolicy") == \
        'Unsupported value: "Maybe": supported values: "Always", "IfNotPresent", "Never"'


def test_without_defaulting_enum_fields_are_required() -> None:
    causes = validate(resource_type("Pod"), pod_with())
    assert found(causes) == {("spec.restartPolicy", "FieldValueRequired"), ("spec.dnsPolicy", "FieldValueRequired"),
                             ("spec.containers[0].imagePullPolicy", "FieldValueRequired"),
                             ("spec.containers[0].terminationMessagePolicy", "FieldValueRequired"),
                             ("spec.containers[0].ports[0].protocol", "FieldValueRequired")}


def test_dns_policy_none_needs_dns_config() -> None:
    assert causes_of("Pod", pod_with(dnsPolicy="None")) == [{
        "field": "spec.dnsConfig", "reason": "FieldValueRequired",
        "message": "Required value: must provide `dnsConfig` when `dnsPolicy` is None"}]
    pod = pod_with(dnsConfig={"nameservers": ["1.1.1.1", "8.8.8.8", "9.9.9.9", "010.0.0.1"]})
    assert found(causes_of("Pod", pod)) == {("spec.dnsConfig.nameservers", "FieldValueInvalid"),
                                            ("spec.dnsConfig.nameservers[3]", "FieldValueInvalid")}


def test_volumes() -> None:
    pod = pod_with(volumes=[
        {"name": "a", "emptyDir": {}}, {"name": "a", "emptyDir": {}},
        {"name": "two", "emptyDir": {}, "hostPath": {"path": "/x"}},
        {"name": "nfs", "nfs": {"server": "x", "path": "/"}},
        {"name": "up", "hostPath": {"path": "/var/../etc", "type": "Pipe"}},
        {"name": "cm", "configMap": {"items": [{"key": "k", "path": "/abs", "mode": 0o1777}]}},
        {"name": "claim", "persistentVolumeClaim": {}},
    ])
    causes = causes_of("Pod", pod)
    assert found(causes) == {
        ("spec.volumes[1].name", "FieldValueDuplicate"),
        ("spec.volumes[2].hostPath", "FieldValueForbidden"),
        ("spec.volumes[3].nfs", "FieldValueForbidden"),
        ("spec.volumes[4].hostPath.path", "FieldValueInvalid"),
        ("spec.volumes[4].hostPath.type", "FieldValueNotSupported"),
        ("spec.volumes[5].configMap.name", "FieldValueRequired"),
        ("spec.volumes[5].configMap.items[0].path", "FieldValueInvalid"),
        ("spec.volumes[5].configMap.items[0].mode", "FieldValueInvalid"),
        ("spec.volumes[6].persistentVolumeClaim.claimName", "FieldValueRequired")}
    assert message_for(causes, "spec.volumes[2].hostPath") == "Forbidden: may not specify more than 1 volume type"


def test_volume_without_source_is_an_empty_dir_after_defaulting() -> None:
    pod = pod_with(volumes=[{"name": "scratch"}])
    assert {"field": "spec.volumes[0]", "reason": "FieldValueRequired",
            "message": "Required value: must specify a volume type"} in validate(resource_type("Pod"),
                                                                               copy.deepcopy(pod))
    assert causes_of("Pod", pod) == []


def test_volume_mounts_refer_to_volumes() -> None:
    pod = container_with(volumeMounts=[{"name": "missing", "mountPath": "/a"}, {"name": "v", "mountPath": "/a"},
                                       {"name": "v", "mountPath": "/b", "subPath": "../x"}])
    pod["spec"]["volumes"] = [{"name": "v", "emptyDir": {}}]
    causes = causes_of("Pod", pod)
    mounts = "spec.containers[0].volumeMounts"
    assert found(causes) == {(f"{mounts}[0].name", "FieldValueNotFound"),
                             (f"{mounts}[1].mountPath", "FieldValueInvalid"),
                             (f"{mounts}[2].subPath", "FieldValueInvalid")}
    assert message_for(causes, f"{mounts}[0].name") == 'Not found: "missing"'


def test_tolerations() -> None:
    pod = pod_with(tolerations=[
        {"key": "k", "operator": "Exists", "value": "v"},
        {"operator": "Equal", "value": "v"},
        {"key": "k", "value": "v", "effect": "NoSchedule", "tolerationSeconds": 10},
        {"key": "k", "operator": "Greater"},
        {"key": "k", "effect": "Never"},
    ])
    causes = causes_of("Pod", pod)
    assert found(causes) == {("spec.tolerations[0].operator", "FieldValueInvalid"),
                             ("spec.tolerations[1].operator", "FieldValueInvalid"),
                             ("spec.tolerations[2].effect", "FieldValueInvalid"),
                             ("spec.tolerations[3].operator", "FieldValueNotSupported"),
                             ("spec.tolerations[4].effect", "FieldValueNotSupported")}
    assert message_for(causes, "spec.tolerations[1].operator") == (
        'Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and '
        'all keys"')


def test_node_selector_and_affinity() -> None:
    pod = pod_with(nodeSelector={"bad key": "x"}, affinity={
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []},
                         "preferredDuringSchedulingIgnoredDuringExecution": [
                             {"weight": 0, "preference": {"matchExpressions": [
                                 {"key": "cores", "operator": "Gt", "values": ["many"]}]}}]},
        "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchExpressions": [{"key": "app", "operator": "In"}]}}]}})
    affinity = "spec.affinity"
    preferred = f"{affinity}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]"
    required_term = f"{affinity}.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]"
    causes = causes_of("Pod", pod)
    assert found(causes) == {
        ("spec.nodeSelector", "FieldValueInvalid"),
        (f"{affinity}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
         "FieldValueRequired"),
        (f"{preferred}.weight", "FieldValueInvalid"),
        (f"{preferred}.preference.matchExpressions[0].values[0]", "FieldValueInvalid"),
        (f"{required_term}.labelSelector.matchExpressions[0].values", "FieldValueRequired"),
        (f"{required_term}.topologyKey", "FieldValueRequired")}


def test_probes() -> None:
    pod = container_with(livenessProbe={"successThreshold": 2, "periodSeconds": -1},
                         readinessProbe={"exec": {"command": ["true"]}, "tcpSocket": {"port": 80}},
                         startupProbe={"httpGet": {"port": 0, "scheme": "FTP"}})
    causes = causes_of("Pod", pod)
    container = "spec.containers[0]"
    assert found(causes) == {(f"{container}.livenessProbe", "FieldValueRequired"),
                             (f"{container}.livenessProbe.successThreshold", "FieldValueInvalid"),
                             (f"{container}.livenessProbe.periodSeconds", "FieldValueInvalid"),
                             (f"{container}.readinessProbe.tcpSocket", "FieldValueForbidden"),
                             (f"{container}.startupProbe.httpGet.port", "FieldValueInvalid"),
                             (f"{container}.startupProbe.httpGet.scheme", "FieldValueNotSupported")}
    assert message_for(causes, f"{container}.livenessProbe") == "Required value: must specify a handler type"
    assert message_for(causes, f"{container}.livenessProbe.successThreshold") == "Invalid value: 2: must be 1"


def test_plain_init_containers_have_no_probes() -> None:
    pod = pod_with(initContainers=[{"name": "init", "image": "busybox", "readinessProbe": {"exec": {"command": ["x"]}}},
                                   {"name": "sidecar", "image": "busybox", "restartPolicy": "Always",
                                    "readinessProbe": {"exec": {"command": ["x"]}}}])
    assert found(causes_of("Pod", pod)) == {("spec.initContainers[0].readinessProbe", "FieldValueForbidden")}


# -- pod updates ---------------------------------------------------------------------------
def test_pod_update_may_change_images() -> None:
    old = stored("Pod")
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "nginx:1.26"
    new["spec"]["initContainers"][0]["image"] = "busybox:1.37"
    new["spec"]["activeDeadlineSeconds"] = 60
    new["spec"]["tolerations"].append({"key": "extra", "operator": "Exists"})
    new["metadata"]["labels"]["added"] = "yes"
    assert causes_of("Pod", new, old) == []


def test_pod_update_may_not_change_other_fields() -> None:
    old = stored("Pod")
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["ports"][0]["containerPort"] = 8080
    new["spec"]["nodeName"] = "node-2"
    causes = causes_of("Pod", new, old)
    assert [(c["field"], c["reason"]) for c in causes] == [("spec", "FieldValueForbidden")]
    assert causes[0]["message"].startswith("Forbidden: pod updates may not change fields other than "
                                           "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                                           "`spec.activeDeadlineSeconds`,`spec.tolerations`")
    assert causes[0]["message"].endswith("changed: spec.containers, spec.nodeName")


def test_pod_update_deadline_and_tolerations() -> None:
    old = stored("Pod")
    longer = copy.deepcopy(old)
    longer["spec"]["activeDeadlineSeconds"] = 7200
    assert causes_of("Pod", longer, old) == [{"field": "spec.activeDeadlineSeconds", "reason": "FieldValueInvalid",
                                              "message": "Invalid value: 7200: must be less than or equal to "
                                                         "previous value"}]
    fewer = copy.deepcopy(old)
    fewer["spec"]["tolerations"].pop(0)
    assert causes_of("Pod", fewer, old) == [{"field": "spec.tolerations", "reason": "FieldValueForbidden",
                                             "message": "Forbidden: existing toleration can not be modified except "
                                                        "its tolerationSeconds"}]


# -- services -----------------------------------------------------------------------------------
def service_with(**spec: Any) -> dict[str, Any]:
    return {"metadata": meta(), "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}], **spec}}


def test_service_ports_required_except_headless_and_external_name() -> None:
    assert found(causes_of("Service", service_with(ports=[]))) == {("spec.ports", "FieldValueRequired")}
    assert causes_of("Service", service_with(ports=[], clusterIP="None")) == []
    assert causes_of("Service", service_with(ports=[], type="ExternalName", externalName="db.example.com.")) == []
    assert found(causes_of("Service", service_with(type="ExternalName"))) == {
        ("spec.externalName", "FieldValueRequired")}


def test_service_ports() -> None:
    service = service_with(ports=[{"port": 80}, {"name": "web", "port": 0, "protocol": "HTTP"},
                                  {"name": "web", "port": 81, "targetPort": "8080"},
                                  {"name": "b", "port": 82, "nodePort": 30001}])
    causes = causes_of("Service", service)
    assert found(causes) == {("spec.ports[0].name", "FieldValueRequired"),
                             ("spec.ports[1].port", "FieldValueInvalid"),
                             ("spec.ports[1].protocol", "FieldValueNotSupported"),
                             ("spec.ports[2].name", "FieldValueDuplicate"),
                             ("spec.ports[2].targetPort", "FieldValueInvalid"),
                             ("spec.ports[3].nodePort", "FieldValueForbidden")}
    assert message_for(causes, "spec.ports[3].nodePort") == "Forbidden: may not be used when `type` is 'ClusterIP'"


def test_service_duplicate_ports_and_node_port_range() -> None:
    service = service_with(type="NodePort", ports=[{"name": "a", "port": 80, "nodePort": 8080},
                                                   {"name": "b", "port": 80}])
    causes = causes_of("Service", service)
    assert found(causes) == {("spec.ports[0].nodePort", "FieldValueInvalid"), ("spec.ports[1]", "FieldValueDuplicate")}
    assert message_for(causes, "spec.ports[0].nodePort") == ("Invalid value: 8080: provided port is not in the valid "
                                                             "range. The range of valid ports is 30000-32767")


def test_service_type_cluster_ip_and_affinity() -> None:
    causes = causes_of("Service", service_with(type="Internal", clusterIP="10.96.0.300", sessionAffinity="Sticky"))
    assert found(causes) == {("spec.type", "FieldValueNotSupported"), ("spec.clusterIP", "FieldValueInvalid"),
                             ("spec.sessionAffinity", "FieldValueNotSupported")}
    headless_node_port = service_with(type="NodePort", clusterIP="None")
    assert found(causes_of("Service", headless_node_port)) == {("spec.clusterIP", "FieldValueInvalid")}


def test_service_cluster_ip_is_immutable() -> None:
    old = stored("Service")
    new = copy.deepcopy(old)
    new["spec"]["clusterIP"] = "10.96.0.21"
    new["spec"]["clusterIPs"] = ["10.96.0.21"]
    assert causes_of("Service", new, old) == [{"field": "spec.clusterIP", "reason": "FieldValueInvalid",
                                               "message": 'Invalid value: "10.96.0.21": field is immutable'}]
    new["spec"].update(type="ExternalName", externalName="example.com", clusterIP="", clusterIPs=[])
    for port in new["spec"]["ports"]:
        port.pop("nodePort", None)
    new["spec"].pop("externalTrafficPolicy")
    assert causes_of("Service", new, old) == []


# -- workloads ------------------------------------------------------------------------------------
def test_deployment_selector_must_match_template() -> None:
    deployment = example("Deployment")
    deployment["spec"]["template"]["metadata"]["labels"] = {"app": "api"}
    assert causes_of("Deployment", deployment) == [{
        "field": "spec.template.metadata.labels", "reason": "FieldValueInvalid",
        "message": 'Invalid value: {"app": "api"}: `selector` does not match template `labels`'}]


def test_deployment_selector_required_and_non_empty() -> None:
    deployment = example("Deployment")
    del deployment["spec"]["selector"]
    assert found(causes_of("Deployment", deployment)) == {("spec.selector", "FieldValueRequired")}
    deployment["spec"]["selector"] = {}
    assert causes_of("Deployment", deployment) == [{"field": "spec.selector", "reason": "FieldValueInvalid",
                                                    "message": "Invalid value: {}: empty selector is invalid for "
                                                               "deployment"}]


def test_deployment_numbers_and_strategy() -> None:
    deployment = example("Deployment")
    deployment["spec"].update(replicas=-1, revisionHistoryLimit=-2, minReadySeconds=200,
                              strategy={"type": "RollingUpdate",
                                        "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}})
    causes = causes_of("Deployment", deployment)
    assert found(causes) == {("spec.replicas", "FieldValueInvalid"), ("spec.revisionHistoryLimit", "FieldValueInvalid"),
                             ("spec.progressDeadlineSeconds", "FieldValueInvalid"),
                             ("spec.strategy.rollingUpdate.maxUnavailable", "FieldValueInvalid")}
    assert message_for(causes, "spec.strategy.rollingUpdate.maxUnavailable") == \
        'Invalid value: "0%": may not be 0 when `maxSurge` is 0'
    assert message_for(causes, "spec.progressDeadlineSeconds") == \
        "Invalid value: 120: must be greater than minReadySeconds"


@pytest.mark.parametrize("strategy, field, reason", [
    ({"type": "Recreate", "rollingUpdate": {}}, "spec.strategy.rollingUpdate", "FieldValueForbidden"),
    ({"type": "BlueGreen"}, "spec.strategy.type", "FieldValueNotSupported"),
    ({"rollingUpdate": {"maxUnavailable": "110%"}}, "spec.strategy.rollingUpdate.maxUnavailable", "FieldValueInvalid"),
    ({"rollingUpdate": {"maxSurge": "25"}}, "spec.strategy.rollingUpdate.maxSurge", "FieldValueInvalid"),
    ({"rollingUpdate": {"maxSurge": -1}}, "spec.strategy.rollingUpdate.maxSurge", "FieldValueInvalid"),
    ({"rollingUpdate": {"maxSurge": 1.5}}, "spec.strategy.rollingUpdate.maxSurge", "FieldValueInvalid"),
])
def test_deployment_strategy_errors(strategy: dict[str, Any], field: str, reason: str) -> None:
    deployment = example("Deployment")
    deployment["spec"]["strategy"] = strategy
    assert found(causes_of("Deployment", deployment)) == {(field, reason)}


def test_replication_controller_selector_is_a_label_map() -> None:
    rc = example("ReplicationController")
    rc["spec"]["selector"] = {"app": "other"}
    assert ("spec.template.metadata.labels", "FieldValueInvalid") in found(causes_of("ReplicationController", rc))
    rc["spec"]["selector"] = {"matchLabels": {"app": "web"}}          # the apps/v1 shape is refused
    assert ("spec.selector", "FieldValueInvalid") in found(causes_of("ReplicationController", rc))


def test_workload_templates_run_forever() -> None:
    replica_set = example("ReplicaSet")
    replica_set["spec"]["template"]["spec"].update(restartPolicy="Never", activeDeadlineSeconds=10)
    causes = causes_of("ReplicaSet", replica_set)
    assert found(causes) == {("spec.template.spec.restartPolicy", "FieldValueNotSupported"),
                             ("spec.template.spec.activeDeadlineSeconds", "FieldValueInvalid")}
    assert message_for(causes, "spec.template.spec.restartPolicy") == \
        'Unsupported value: "Never": supported values: "Always"'


def test_template_pod_spec_errors_have_template_paths() -> None:
    daemon_set = example("DaemonSet")
    daemon_set["spec"]["template"]["spec"]["containers"][0]["image"] = None
    daemon_set["spec"]["updateStrategy"] = {"type": "Rolling"}
    assert found(causes_of("DaemonSet", daemon_set)) == {
        ("spec.template.spec.containers[0].image", "FieldValueRequired"),
        ("spec.updateStrategy.type", "FieldValueNotSupported")}


def test_apps_selector_is_immutable() -> None:
    for kind in ("Deployment", "ReplicaSet", "DaemonSet"):
        old = stored(kind)
        new = copy.deepcopy(old)
        new["spec"]["selector"] = {"matchLabels": {"app": "web", "v": "2"}}
        new["spec"]["template"]["metadata"]["labels"]["v"] = "2"
        assert found(causes_of(kind, new, old)) == {("spec.selector", "FieldValueInvalid")}, kind
        scaled = copy.deepcopy(old)
        scaled["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
        assert causes_of(kind, scaled, old) == []


def test_job_gets_a_generated_selector_and_must_not_restart_always() -> None:
    job = example("Job")
    apply_defaults(resource_type("Job"), job)
    uid = job["metadata"]["uid"]
    assert job["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    job["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    assert causes_of("Job", job) == [{"field": "spec.template.spec.restartPolicy", "reason": "FieldValueNotSupported",
                                      "message": 'Unsupported value: "Always": supported values: "OnFailure", "Never"'}]


def test_job_counts_and_completion_mode() -> None:
    job = example("Job")
    job["spec"].update(parallelism=-1, backoffLimit=-1, completions=None, completionMode="Indexed")
    job["spec"]["completions"] = None
    assert found(causes_of("Job", job)) == {("spec.parallelism", "FieldValueInvalid"),
                                            ("spec.backoffLimit", "FieldValueInvalid"),
                                            ("spec.completions", "FieldValueRequired")}


def test_job_template_and_selector_are_immutable() -> None:
    old = stored("Job")
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    new["spec"]["parallelism"] = 5
    assert found(causes_of("Job", new, old)) == {("spec.template", "FieldValueInvalid")}


# -- the other kinds ---------------------------------------------------------------------------------
def test_node_spec() -> None:
    node = example("Node")
    node["spec"].update(podCIDR="10.244.1.1/24", podCIDRs=["10.244.1.0/24"],
                        taints=[{"key": "a", "effect": "NoSchedule"},
                                {"key": "a", "value": "x", "effect": "NoSchedule"}, {"key": "b"}])
    causes = causes_of("Node", node)
    assert found(causes) == {("spec.podCIDR", "FieldValueInvalid"), ("spec.podCIDRs[0]", "FieldValueInvalid"),
                             ("spec.taints[1]", "FieldValueDuplicate"), ("spec.taints[2].effect", "FieldValueRequired")}
    assert message_for(causes, "spec.podCIDR") == ('Invalid value: "10.244.1.1/24": must be a valid CIDR value, '
                                                   '(e.g. 10.9.8.0/24 or 2001:db8::/64)')
    assert message_for(causes, "spec.taints[1]").endswith("taints must be unique by key and effect pair")


def test_node_pod_cidr_set_once() -> None:
    old = example("Node")
    del old["spec"]["podCIDR"], old["spec"]["podCIDRs"]
    stored("Node", old)
    assigned = copy.deepcopy(old)
    assigned["spec"].update(podCIDR="10.244.3.0/24", podCIDRs=["10.244.3.0/24"])
    assert causes_of("Node", assigned, old) == []
    changed = copy.deepcopy(assigned)
    changed["spec"].update(podCIDR="10.244.4.0/24", podCIDRs=["10.244.4.0/24"])
    assert found(causes_of("Node", changed, assigned)) == {("spec.podCIDR", "FieldValueForbidden")}


def test_namespace_finalizers() -> None:
    namespace = example("Namespace")
    namespace["spec"]["finalizers"] = ["cleanup", "example.com/a/b"]
    causes = causes_of("Namespace", namespace)
    assert found(causes) == {("spec.finalizers[0]", "FieldValueInvalid"), ("spec.finalizers[1]", "FieldValueInvalid")}
    assert message_for(causes, "spec.finalizers[0]") == \
        'Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified'


def test_config_map_keys_and_binary_data() -> None:
    config_map = example("ConfigMap")
    config_map["data"] = {"bad key": "x", "..": "y", "logo.png": "z", "n": 5}
    config_map["binaryData"]["logo.png"] = "not base64!"
    causes = causes_of("ConfigMap", config_map)
    assert found(causes) == {("data", "FieldValueInvalid"), ("data[logo.png]", "FieldValueInvalid"),
                             ("data[n]", "FieldValueInvalid"), ("binaryData[logo.png]", "FieldValueInvalid")}
    assert 'Invalid value: "..": must not be \'..\'' in [c["message"] for c in causes]


def test_immutable_config_map_and_secret() -> None:
    for kind, data_field in (("ConfigMap", "data"), ("Secret", "data")):
        old = example(kind)
        old["immutable"] = True
        stored(kind, old)
        new = copy.deepcopy(old)
        new[data_field]["extra"] = "eA=="
        new["immutable"] = False
        assert causes_of(kind, new, old) == [
            {"field": data_field, "reason": "FieldValueForbidden",
             "message": "Forbidden: field is immutable when `immutable` is set"},
            {"field": "immutable", "reason": "FieldValueForbidden",
             "message": "Forbidden: field is immutable when `immutable` is set"}], kind
        relabelled = copy.deepcopy(old)
        relabelled["metadata"]["labels"] = {"a": "b"}
        assert causes_of(kind, relabelled, old) == []


def test_secret_data_and_type() -> None:
    secret = example("Secret")
    secret["data"] = {"tls.crt": "%%%"}
    causes = causes_of("Secret", secret)
    assert causes == [
        {"field": "data[tls.crt]", "reason": "FieldValueInvalid",
         "message": 'Invalid value: "<secret contents redacted>": must be base64-encoded'},
        {"field": "data[tls.key]", "reason": "FieldValueRequired", "message": "Required value"}]
    old = stored("Secret")
    retyped = copy.deepcopy(old)
    retyped["type"] = "Opaque"
    assert found(causes_of("Secret", retyped, old)) == {("type", "FieldValueInvalid")}


def test_endpoints() -> None:
    endpoints = example("Endpoints")
    endpoints["subsets"][0]["addresses"] = [{"ip": "10.244.1.300"}, {"ip": "127.0.0.1"}, {}]
    endpoints["subsets"][0]["ports"] = [{"port": 0}, {"name": "b", "port": 70000}]
    assert found(causes_of("Endpoints", endpoints)) == {
        ("subsets[0].addresses[0].ip", "FieldValueInvalid"), ("subsets[0].addresses[1].ip", "FieldValueInvalid"),
        ("subsets[0].addresses[2].ip", "FieldValueRequired"), ("subsets[0].ports[0].name", "FieldValueRequired"),
        ("subsets[0].ports[0].port", "FieldValueInvalid"), ("subsets[0].ports[1].port", "FieldValueInvalid")}


def test_event() -> None:
    event = example("Event")
    event["involvedObject"]["namespace"] = "other"
    event["lastTimestamp"] = "yesterday"
    assert found(causes_of("Event", event)) == {("involvedObject.namespace", "FieldValueInvalid"),
                                                ("lastTimestamp", "FieldValueInvalid")}
    del event["involvedObject"]
    event["lastTimestamp"] = "2024-05-01T10:05:00Z"
    assert causes_of("Event", event) == [{"field": "involvedObject", "reason": "FieldValueRequired",
                                          "message": "Required value"}]


def test_lease() -> None:
    lease = example("Lease")
    lease["spec"].update(leaseDurationSeconds=0, leaseTransitions="1", renewTime="2024-05-01 10:00:00")
    assert found(causes_of("Lease", lease)) == {("spec.leaseDurationSeconds", "FieldValueInvalid"),
                                                ("spec.leaseTransitions", "FieldValueInvalid"),
                                                ("spec.renewTime", "FieldValueInvalid")}


def test_priority_class() -> None:
    pc = example("PriorityClass")
    pc.update(value=1_000_000_001, preemptionPolicy="Sometimes", globalDefault="yes")
    assert found(causes_of("PriorityClass", pc)) == {("value", "FieldValueForbidden"),
                                                     ("preemptionPolicy", "FieldValueNotSupported"),
                                                     ("globalDefault", "FieldValueInvalid")}
    reserved = {"metadata": {"name": "system-mine"}, "value": 5}
    assert found(causes_of("PriorityClass", reserved)) == {("metadata.name", "FieldValueForbidden")}
    system = {"metadata": {"name": "system-node-critical"}, "value": 2_000_001_000}
    assert causes_of("PriorityClass", system) == [] and system["preemptionPolicy"] == "PreemptLowerPriority"
    old = stored("PriorityClass")
    changed = {**copy.deepcopy(old), "value": 5, "preemptionPolicy": "PreemptLowerPriority"}
    assert found(causes_of("PriorityClass", changed, old)) == {("value", "FieldValueForbidden"),
                                                               ("preemptionPolicy", "FieldValueInvalid")}


# -- fuzzing: any JSON in, a list of causes out, never an exception -------------------------------------
FUZZ_STRINGS = ["", "a", "Foo_Bar", "-", ".", "..", "/", "a/b/c", "x" * 300, "1e3", "12xyz", "500m", "None",
                "Always", "TCP", "ClusterIP", "NodePort", "RollingUpdate", "Exists", "In", "Gt", "0%", "101%",
                "10.96.0.1", "10.244.0.0/16", "::1", "http", "metadata.name", "metadata.labels['a']", "\x00",
                "ünïcode", "9" * 50 + "%", "1e99999", "NaN", "Z" * 70, "kubernetes"]
FUZZ_NUMBERS = [0, 1, -1, 80, 65536, 2**31, 2**63, 2**80, 0.5, -0.0, 1e308, float("inf"), float("nan"), True, False]


def _all_keys(value: Any, keys: set[str]) -> set[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            keys.add(k)
            _all_keys(v, keys)
    elif isinstance(value, list):
        for item in value:
            _all_keys(item, keys)
    return keys


FUZZ_KEYS = sorted(_all_keys(examples(), {"nfs", "grpc", "sleep", "matchFields", "namespaceSelector", "clusterIPs",
                                          "sessionAffinityConfig", "externalName", "ownerReferences", "finalizers",
                                          "generateName", "stringData", "hostNetwork", "restartPolicy"}))


def random_value(rng: random.Random, depth: int = 0) -> Any:
    choice = rng.random()
    if depth > 4 or choice < 0.35:
        return rng.choice(FUZZ_STRINGS + FUZZ_NUMBERS + [None])
    if choice < 0.65:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(FUZZ_KEYS): random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def _containers(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) slot in a JSON tree: where a mutation can go."""
    slots: list[tuple[Any, Any]] = []
    pending = [value]
    while pending:
        current = pending.pop()
        items = (current.items() if isinstance(current, dict)
                 else enumerate(current) if isinstance(current, list) else ())
        for k, v in items:
            slots.append((current, k))
            pending.append(v)
    return slots


def mutate(obj: dict[str, Any], rng: random.Random) -> None:
    for _ in range(rng.randint(1, 4)):
        slots = _containers(obj)
        if not slots:
            return
        parent, k = rng.choice(slots)
        action = rng.random()
        if action < 0.6:
            parent[k] = random_value(rng)
        elif action < 0.8 and isinstance(parent, dict):
            del parent[k]
        elif isinstance(parent, dict):
            parent[rng.choice(FUZZ_KEYS)] = random_value(rng)
        elif isinstance(parent, list):
            parent.append(random_value(rng))


def assert_well_formed(causes: Any, context: str) -> None:
    assert isinstance(causes, list), context
    for c in causes:
        assert set(c) == {"field", "message", "reason"}, context
        assert isinstance(c["field"], str) and isinstance(c["message"], str) and c["message"], context
        assert c["reason"] in REASONS, context
        json.dumps(c)   # the server must be able to send it


@pytest.mark.parametrize("kind", sorted(examples()))
def test_fuzz_never_raises(kind: str) -> None:
    rt = resource_type(kind)
    rng = random.Random(f"fuzz-{kind}")
    base = stored(kind)
    for round_number in range(400):
        obj = copy.deepcopy(base)
        mutate(obj, rng)
        if round_number % 10 == 0:
            obj = random_value(rng) if round_number % 20 else {"metadata": random_value(rng), "spec": random_value(rng)}
        context = f"{kind} round {round_number}: {json.dumps(obj, default=str)[:2000]}"
        if isinstance(obj, dict):
            apply_defaults(rt, obj)
        assert_well_formed(validate(rt, obj), context)
        old = copy.deepcopy(base)
        mutate(old, rng)
        assert_well_formed(validate(rt, obj, old), context)
        assert_well_formed(validate(rt, copy.deepcopy(base), obj if isinstance(obj, dict) else None), context)
