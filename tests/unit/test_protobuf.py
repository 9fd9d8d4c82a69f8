"""Kubernetes' protobuf request bodies: real kubectl bytes, round trips for every served type, bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from apiserver.protobuf import check_acceptable, decode_protobuf, encode_protobuf
from apiserver.protobuf.decode import MAGIC
from apiserver.protobuf.messages import CLASSES
from apiserver.protobuf.schema import MESSAGES, ROOTS
from minikube_py.api.errors import ApiError
from minikube_py.api.resources import RESOURCES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "protobuf"
CAPTURED = sorted(FIXTURES.glob("*.pb"))


def test_fixtures_are_there():
    assert len(CAPTURED) >= 8


@pytest.mark.parametrize("body", CAPTURED, ids=lambda p: p.stem)
def test_kubectl_body_decodes_to_the_json_kubectl_prints(body: Path):
    """kubectl 1.33's protobuf body == the JSON kubectl itself makes of the same object."""
    expected = json.loads(body.with_suffix(".json").read_text())
    assert decode_protobuf(body.read_bytes()) == expected


def test_kubectl_deployment_details():
    obj = decode_protobuf((FIXTURES / "apps_v1_Deployment.pb").read_bytes())
    assert obj["spec"]["replicas"] == 2
    assert obj["spec"]["strategy"] == {}
    container = obj["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"] == [{"containerPort": 8080}]      # protocol "" dropped, as omitempty does
    assert "uid" not in obj["metadata"] and obj["metadata"]["creationTimestamp"] is None


def test_kubectl_secret_data_is_base64_and_keeps_empty_values():
    obj = decode_protobuf((FIXTURES / "v1_Secret.pb").read_bytes())
    assert obj["data"] == {"password": "czNjcjN0", "empty": ""}


POD_SPEC = {
    "containers": [{
        "name": "app", "image": "minikube-py/hello", "command": ["/bin/sh", "-c"], "args": ["sleep 1"],
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": [{"name": "A", "value": "1"},
                {"name": "POD", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
        "envFrom": [{"secretRef": {"name": "s", "optional": False}}],     # an inline LocalObjectReference
        "resources": {"limits": {"cpu": "500m", "memory": "64Mi"}, "requests": {"cpu": "100m"}},
        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 2},
        "livenessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 5},
        "securityContext": {"runAsUser": 0, "privileged": False},
        "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg", "readOnly": True}],
    }],
    "volumes": [{"name": "cfg", "configMap": {"name": "cfg", "defaultMode": 420}},
                {"name": "tmp", "emptyDir": {}}],
    "restartPolicy": "Always", "terminationGracePeriodSeconds": 0, "nodeName": "n1",
    "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
    "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 10, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                           "labelSelector": {"matchLabels": {"app": "web"}}}}]}},
}
META = {"name": "x", "namespace": "ns", "labels": {"app": "web"}, "annotations": {"a": "b"},
        "uid": "0b5c1a2e-4d3f-4c11-9e2a-7f6d5e4c3b2a", "resourceVersion": "42", "generation": 3,
        "creationTimestamp": "2026-01-02T03:04:05Z", "finalizers": ["f"],
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u",
                             "controller": True, "blockOwnerDeletion": True}],
        "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
                           "time": "2026-01-02T03:04:05Z", "fieldsType": "FieldsV1",
                           "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}}]}
TEMPLATE = {"metadata": {"labels": {"app": "web"}}, "spec": POD_SPEC}
SELECTOR = {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In",
                                                                 "values": ["a", "b"]}]}
CONDITION = {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-02T03:04:05Z",
             "reason": "R", "message": "m"}

# One object per body type we accept: every served type and every subresource / delete body.
SAMPLES: dict[tuple[str, str], dict] = {
    ("v1", "Namespace"): {"metadata": {"name": "x"}, "spec": {"finalizers": ["kubernetes"]},
                          "status": {"phase": "Active"}},
    ("v1", "Pod"): {"metadata": META, "spec": POD_SPEC, "status": {
        "phase": "Running", "podIP": "10.244.1.5", "podIPs": [{"ip": "10.244.1.5"}], "qosClass": "Burstable",
        "startTime": "2026-01-02T03:04:05Z", "conditions": [CONDITION],
        "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0, "image": "i", "imageID": "",
                               "started": True, "state": {"running": {"startedAt": "2026-01-02T03:04:06Z"}},
                               "lastState": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}},
    ("v1", "Node"): {"metadata": {"name": "n1", "labels": {"kubernetes.io/hostname": "n1"}},
                     "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"], "unschedulable": True,
                              "taints": [{"key": "k", "value": "v", "effect": "NoSchedule",
                                          "timeAdded": "2026-01-02T03:04:05Z"}]},
                     "status": {"capacity": {"cpu": "2", "pods": "110"}, "allocatable": {"cpu": "1900m"},
                                "addresses": [{"type": "InternalIP", "address": "192.168.56.11"}],
                                "conditions": [{**CONDITION, "lastHeartbeatTime": "2026-01-02T03:04:05Z"}],
                                "nodeInfo": {"kubeletVersion": "v1.33.0", "operatingSystem": "linux",
                                             "architecture": "amd64"}}},
    ("v1", "Service"): {"metadata": {"name": "svc"}, "spec": {
        "type": "NodePort", "selector": {"app": "web"}, "clusterIP": "10.96.0.20", "clusterIPs": ["10.96.0.20"],
        "ports": [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080, "protocol": "TCP"},
                  {"name": "alt", "port": 81, "targetPort": 8081}], "sessionAffinity": "None"},
        "status": {"loadBalancer": {}}},
    ("v1", "Endpoints"): {"metadata": {"name": "svc"}, "subsets": [{
        "addresses": [{"ip": "10.244.1.5", "nodeName": "n1",
                       "targetRef": {"kind": "Pod", "name": "p", "namespace": "ns"}}],
        "notReadyAddresses": [{"ip": "10.244.2.5"}], "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]},
    ("v1", "ConfigMap"): {"metadata": {"name": "c"}, "data": {"a": "1", "empty": ""},
                          "binaryData": {"b": "AAEC/w=="}, "immutable": False},
    ("v1", "Secret"): {"metadata": {"name": "s"}, "type": "Opaque", "data": {"k": "aGVsbG8="},
                       "stringData": {"plain": "text"}},
    ("v1", "Event"): {"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "p", "uid": "u"},
                      "reason": "Scheduled", "message": "ok", "type": "Normal", "count": 2,
                      "source": {"component": "scheduler"}, "firstTimestamp": "2026-01-02T03:04:05Z",
                      "lastTimestamp": "2026-01-02T03:04:09Z", "eventTime": "2026-01-02T03:04:05.123456Z",
                      "reportingComponent": "scheduler", "action": "Binding"},
    ("v1", "Binding"): {"metadata": {"name": "p"}, "target": {"apiVersion": "v1", "kind": "Node", "name": "n1"}},
    ("v1", "ReplicationController"): {"metadata": {"name": "rc"}, "spec": {
        "replicas": 0, "selector": {"app": "web"}, "template": TEMPLATE}, "status": {"replicas": 1}},
    ("apps/v1", "Deployment"): {"metadata": META, "spec": {
        "replicas": 0, "selector": SELECTOR, "template": TEMPLATE, "revisionHistoryLimit": 10,
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
        "progressDeadlineSeconds": 600},
        "status": {"observedGeneration": 3, "replicas": 2, "readyReplicas": 1,
                   "conditions": [{**CONDITION, "lastUpdateTime": "2026-01-02T03:04:05Z"}]}},
    ("apps/v1", "ReplicaSet"): {"metadata": META, "spec": {"replicas": 3, "selector": SELECTOR,
                                                           "template": TEMPLATE},
                                "status": {"replicas": 3, "fullyLabeledReplicas": 3}},
    ("apps/v1", "DaemonSet"): {"metadata": META, "spec": {
        "selector": SELECTOR, "template": TEMPLATE,
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}},
        "status": {"currentNumberScheduled": 0, "desiredNumberScheduled": 0, "numberMisscheduled": 0,
                   "numberReady": 0}},
    ("batch/v1", "Job"): {"metadata": META, "spec": {
        "parallelism": 0, "completions": 3, "backoffLimit": 6, "activeDeadlineSeconds": 60,
        "ttlSecondsAfterFinished": 0, "suspend": False, "template": TEMPLATE, "completionMode": "NonIndexed"},
        "status": {"active": 1, "startTime": "2026-01-02T03:04:05Z"}},
    ("coordination.k8s.io/v1", "Lease"): {"metadata": {"name": "n1", "namespace": "kube-node-lease"}, "spec": {
        "holderIdentity": "n1", "leaseDurationSeconds": 40, "renewTime": "2026-01-02T03:04:05.500000Z",
        "acquireTime": "2026-01-02T03:04:05.000001Z", "leaseTransitions": 0}},
    ("scheduling.k8s.io/v1", "PriorityClass"): {"metadata": {"name": "high"}, "value": 0, "globalDefault": True,
                                                "description": "d", "preemptionPolicy": "Never"},
    ("networking.k8s.io/v1", "NetworkPolicy"): {"metadata": {"name": "np"}, "spec": {
        "podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress", "Egress"],
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}},
                              {"ipBlock": {"cidr": "10.244.0.0/16", "except": ["10.244.9.0/24"]}}],
                     "ports": [{"protocol": "TCP", "port": 5432}, {"port": "http", "endPort": 9000}]}],
        "egress": [{"to": [{"namespaceSelector": {}}]}]}},
    ("policy/v1", "Eviction"): {"metadata": {"name": "p", "namespace": "ns"}, "deleteOptions": {
        "gracePeriodSeconds": 0, "preconditions": {"uid": "u", "resourceVersion": "7"}, "dryRun": ["All"]}},
    ("policy/v1", "PodDisruptionBudget"): {"metadata": {"name": "pdb"}, "spec": {
        "minAvailable": "50%", "selector": SELECTOR}, "status": {
        "currentHealthy": 0, "desiredHealthy": 0, "disruptionsAllowed": 0, "expectedPods": 0,
        "disruptedPods": {"p": "2026-01-02T03:04:05Z"}}},
    ("autoscaling/v1", "Scale"): {"metadata": {"name": "web"}, "spec": {"replicas": 1},
                                  "status": {"replicas": 2, "selector": "app=web"}},
    ("v1", "DeleteOptions"): {"gracePeriodSeconds": 30, "propagationPolicy": "Foreground",
                              "orphanDependents": False},
}


def test_every_served_type_and_body_has_a_sample_and_a_message():
    served = {(rt.api_version, rt.kind) for rt in RESOURCES}
    assert served <= set(ROOTS), f"served types without a protobuf message: {served - set(ROOTS)}"
    assert set(ROOTS) - {("meta.k8s.io/v1", "DeleteOptions")} <= set(SAMPLES)


@pytest.mark.parametrize("key", sorted(SAMPLES), ids=lambda k: f"{k[0]}-{k[1]}")
def test_round_trip(key: tuple[str, str]):
    obj = {"kind": key[1], "apiVersion": key[0], **SAMPLES[key]}
    body = encode_protobuf(obj)
    assert body.startswith(MAGIC)
    assert decode_protobuf(body) == obj


def test_zero_values_follow_json_omitempty():
    """On the wire a Go struct writes all its non-pointer fields; JSON's omitempty drops the zero ones,
    while pointers (replicas) and fields without omitempty (Container.name) keep them."""
    pod = CLASSES["core.v1.Pod"]()
    pod.f1.f1 = "p"            # metadata.name
    pod.f1.f3 = ""             # metadata.namespace, zero, omitempty
    pod.f1.f7 = 0              # metadata.generation, zero, omitempty
    pod.f1.f8.SetInParent()    # creationTimestamp: the zero Time, an empty message
    container = pod.f2.f2.add()
    container.f1 = ""          # name: no omitempty in Go, kept
    container.f16 = False      # stdin: omitempty, dropped
    deployment = CLASSES["apps.v1.Deployment"]()
    deployment.f2.f1 = 0       # spec.replicas: *int32, kept
    assert _decode("v1", "Pod", pod) == {"kind": "Pod", "apiVersion": "v1", "metadata": {
        "name": "p", "creationTimestamp": None}, "spec": {"containers": [{"name": ""}]}}
    assert _decode("apps/v1", "Deployment", deployment)["spec"] == {"replicas": 0}


def _decode(api_version: str, kind: str, message) -> dict:
    unknown = CLASSES["runtime.Unknown"]()
    unknown.f1.f1, unknown.f1.f2, unknown.f2 = api_version, kind, message.SerializeToString()
    return decode_protobuf(MAGIC + unknown.SerializeToString())


def test_time_drops_nanoseconds_and_microtime_keeps_microseconds():
    event = {"kind": "Event", "apiVersion": "v1", "metadata": {"name": "e"},
             "firstTimestamp": "2026-01-02T03:04:05Z", "eventTime": "2026-01-02T03:04:05.000007Z"}
    assert decode_protobuf(encode_protobuf(event)) == event


def test_every_table_entry_names_known_types():
    scalars = {"string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "double", "float", "fixed64"}
    for name, fields in MESSAGES.items():
        for number, (_json_name, type_name, shape) in fields.items():
            assert type_name in scalars or type_name in MESSAGES, (name, number)
            assert shape in ("", "keep", "list", "map", "inline"), (name, number)


@pytest.mark.parametrize("body, message", [
    (b'{"kind":"Namespace"}', "k8s\\0 prefix"),
    (MAGIC + b"\xff\xff\xff", "error decoding protobuf body"),
    (MAGIC + b"\x0a\x05\x0a\x02v1", "error decoding protobuf body"),             # truncated typeMeta
    (encode_protobuf({"kind": "Secret", "apiVersion": "v1"}).replace(b"Secret", b"Sekret"),
     'no kind "Sekret" is registered for version "v1"'),
])
def test_bad_bodies_are_400_naming_the_problem(body: bytes, message: str):
    with pytest.raises(ApiError) as caught:
        decode_protobuf(body)
    assert caught.value.code == 400 and message in caught.value.message


def test_text_that_is_not_utf8():
    """A string field becomes U+FFFD as Go's JSON encoder writes it; a map key is refused (400)."""
    body = encode_protobuf({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "abc"},
                            "data": {"key": "value"}})
    assert decode_protobuf(body.replace(b"abc", b"a\xffc"))["metadata"]["name"] == "a\ufffdc"
    with pytest.raises(ApiError) as caught:
        decode_protobuf(body.replace(b"key", b"k\xffy"))
    assert caught.value.code == 400


@pytest.mark.parametrize("accept, refused", [
    ("", False), ("*/*", False), ("application/json", False),
    ("application/vnd.kubernetes.protobuf,application/json", False),
    ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json", False),
    ("application/vnd.kubernetes.protobuf", True),
    ("application/vnd.kubernetes.protobuf;stream=watch", True),
])
def test_accept_negotiation(accept: str, refused: bool):
    if not refused:
        check_acceptable(accept)
        return
    with pytest.raises(ApiError) as caught:
        check_acceptable(accept)
    assert caught.value.code == 406 and caught.value.reason == "NotAcceptable"
    assert "only the following media types are accepted: application/json" in caught.value.message
