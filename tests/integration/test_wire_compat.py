"""What a current client expects on the wire: status fields in create responses, discovery with a
trailing slash, the version, and error Status bytes as kube-apiserver writes them."""
from __future__ import annotations

import json
import subprocess
import urllib.request
from urllib.error import HTTPError

import pytest
import yaml
from kubernetes import client

from apiserver.protobuf import encode_protobuf
from minikube_py.version import GIT_VERSION


def _meta(name: str) -> client.V1ObjectMeta:
    return client.V1ObjectMeta(name=name, labels={"app": name})


def _template(name: str) -> client.V1PodTemplateSpec:
    return client.V1PodTemplateSpec(metadata=_meta(name), spec=client.V1PodSpec(
        containers=[client.V1Container(name="c", image="minikube-py/busybox")]))


def test_typed_creates_of_every_type_deserialize(k8s, ns, unique):
    """The official client's typed create parses each answer into its model, which refuses a
    status without the fields Kubernetes always sends (a DaemonSet's numberReady, ...)."""
    core, apps = client.CoreV1Api(k8s), client.AppsV1Api(k8s)
    selector = client.V1LabelSelector(match_labels={"app": "w"})
    daemon_set = apps.create_namespaced_daemon_set(ns, client.V1DaemonSet(
        metadata=_meta("w"), spec=client.V1DaemonSetSpec(selector=selector, template=_template("w"))))
    assert (daemon_set.status.current_number_scheduled, daemon_set.status.desired_number_scheduled,
            daemon_set.status.number_misscheduled, daemon_set.status.number_ready) == (0, 0, 0, 0)
    replica_set = apps.create_namespaced_replica_set(ns, client.V1ReplicaSet(
        metadata=_meta("w"), spec=client.V1ReplicaSetSpec(replicas=0, selector=selector, template=_template("w"))))
    assert replica_set.status.replicas == 0
    deployment = apps.create_namespaced_deployment(ns, client.V1Deployment(
        metadata=_meta("w"), spec=client.V1DeploymentSpec(replicas=0, selector=selector, template=_template("w"))))
    assert deployment.status is not None
    job = client.BatchV1Api(k8s).create_namespaced_job(ns, client.V1Job(
        metadata=_meta("j"), spec=client.V1JobSpec(template=client.V1PodTemplateSpec(
            spec=client.V1PodSpec(restart_policy="Never",
                                  containers=[client.V1Container(name="c", image="minikube-py/busybox")])))))
    assert job.status is not None
    pod = core.create_namespaced_pod(ns, client.V1Pod(metadata=_meta("p"), spec=_template("p").spec))
    assert (pod.status.phase, pod.status.qos_class) == ("Pending", "BestEffort")
    service = core.create_namespaced_service(ns, client.V1Service(metadata=_meta("s"), spec=client.V1ServiceSpec(
        selector={"app": "w"}, ports=[client.V1ServicePort(port=80)])))
    assert service.status.load_balancer is not None
    namespace = core.create_namespace(client.V1Namespace(metadata=_meta(f"wire-{unique}")))
    try:
        assert namespace.status.phase == "Active"
    finally:
        core.delete_namespace(f"wire-{unique}")
    node = core.create_node(client.V1Node(metadata=_meta(f"wire-{unique}")))
    try:
        assert node.status.daemon_endpoints.kubelet_endpoint.port == 0 and node.status.node_info.machine_id == ""
    finally:
        core.delete_node(f"wire-{unique}")
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=_meta("c"), data={"a": "1"}))
    core.create_namespaced_secret(ns, client.V1Secret(metadata=_meta("s"), string_data={"a": "1"}))
    core.create_namespaced_endpoints(ns, client.V1Endpoints(metadata=_meta("e")))
    core.create_namespaced_event(ns, client.CoreV1Event(
        metadata=_meta("ev"), involved_object=client.V1ObjectReference(kind="Pod", name="p", namespace=ns)))
    client.CoordinationV1Api(k8s).create_namespaced_lease(ns, client.V1Lease(
        metadata=_meta("l"), spec=client.V1LeaseSpec(holder_identity="me")))
    priority = client.SchedulingV1Api(k8s).create_priority_class(client.V1PriorityClass(
        metadata=_meta(f"wire-{unique}"), value=5))
    client.SchedulingV1Api(k8s).delete_priority_class(priority.metadata.name)
    listed = apps.list_namespaced_daemon_set(ns)          # and reads, after the status defaults
    assert listed.items[0].status.number_ready == 0


def test_discovery_with_a_trailing_slash(k8s, apiserver):
    core = client.CoreV1Api(k8s).get_api_resources()       # GET /api/v1/
    assert core.group_version == "v1" and "pods" in {r.name for r in core.resources}
    apps = client.AppsV1Api(k8s).get_api_resources()       # GET /apis/apps/v1/
    assert "daemonsets" in {r.name for r in apps.resources}
    for path in ("/api/v1/", "/api/v1", "/apis/apps/v1/", "/api/", "/apis/"):
        with urllib.request.urlopen(apiserver.url + path) as answer:
            assert answer.status == 200, path
    with pytest.raises(HTTPError) as caught:
        urllib.request.urlopen(apiserver.url + "/api/v2/")
    assert caught.value.code == 404


def test_version_is_current(k8s):
    info = client.VersionApi(k8s).get_code()
    assert (info.major, info.minor, info.git_version) == ("1", "33", "v1.33.0-minikube-py") == \
        ("1", "33", GIT_VERSION)


def test_error_status_bytes_as_kube_apiserver_writes_them(apiserver, ns):
    with pytest.raises(HTTPError) as caught:
        urllib.request.urlopen(f"{apiserver.url}/api/v1/namespaces/{ns}/configmaps/nope")
    body = caught.value.read()
    assert body == (b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
                    b'"message":"configmaps \\"nope\\" not found","reason":"NotFound",'
                    b'"details":{"name":"nope","kind":"configmaps"},"code":404}\n')
    request = urllib.request.Request(f"{apiserver.url}/api/v1/namespaces/{ns}/configmaps", method="POST",
                                     data=json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                                      "metadata": {"name": "x"}}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        assert answer.read().endswith(b"}\n")
    with pytest.raises(HTTPError) as caught:
        urllib.request.urlopen(request)
    assert list(json.loads(caught.value.read())) == ["kind", "apiVersion", "metadata", "status", "message",
                                                     "reason", "details", "code"]


RC_MANIFEST = """apiVersion: v1
kind: ReplicationController
metadata:
  name: old
spec:
  replicas: 1
  template:
    metadata:
      labels: {app: old}
    spec:
      containers:
      - name: c
        image: minikube-py/busybox
"""


def test_replication_controllers_are_served(any_kubectl, apiserver, k8s, ns, tmp_path):
    """Served with its table, scale subresource, defaults and protobuf body (its controller comes
    later: it is to share the ReplicaSet machinery, which is being reworked)."""
    def kubectl(*args: str, stdin: str | None = None) -> str:
        result = subprocess.run([any_kubectl, "--server", apiserver.url, "-n", ns, *args], input=stdin,
                                capture_output=True, text=True, timeout=60,
                                env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert kubectl("create", "-f", "-", stdin=RC_MANIFEST).strip() == "replicationcontroller/old created"
    header, row = kubectl("get", "rc", "-o", "wide").splitlines()
    assert header.split() == ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    assert row.split()[:4] == ["old", "1", "0", "0"] and row.split()[-1] == "app=old"
    kubectl("scale", "rc/old", "--replicas=3")
    rc = client.CoreV1Api(k8s).read_namespaced_replication_controller("old", ns)
    assert (rc.spec.replicas, rc.spec.selector, rc.status.replicas) == (3, {"app": "old"}, 0)
    scale = client.CoreV1Api(k8s).read_namespaced_replication_controller_scale("old", ns)
    assert (scale.spec.replicas, scale.status.selector) == (3, "app=old")
    body = encode_protobuf({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "pb"},
                            "spec": yaml.safe_load(RC_MANIFEST)["spec"]})
    request = urllib.request.Request(f"{apiserver.url}/api/v1/namespaces/{ns}/replicationcontrollers", data=body,
                                     method="POST", headers={"Content-Type": "application/vnd.kubernetes.protobuf"})
    with urllib.request.urlopen(request) as answer:
        assert json.loads(answer.read())["metadata"]["labels"] == {"app": "old"}
