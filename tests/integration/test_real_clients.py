"""The real clients people use: the official Python `kubernetes` client and kubectl 1.20."""
from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException


@pytest.fixture
def kube_ns(k8s, unique):
    name = f"py-{unique}"
    client.CoreV1Api(k8s).create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    client.CoreV1Api(k8s).delete_namespace(name)


def test_python_client_crud_and_errors(k8s, kube_ns):
    core = client.CoreV1Api(k8s)
    assert client.VersionApi(k8s).get_code().major == "1"
    body = client.V1Pod(metadata=client.V1ObjectMeta(name="p", labels={"app": "x"}),
                        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="minikube-py/busybox")]))
    created = core.create_namespaced_pod(kube_ns, body)
    assert created.metadata.uid and created.status.phase == "Pending"
    assert [p.metadata.name for p in core.list_namespaced_pod(kube_ns, label_selector="app=x").items] == ["p"]
    assert core.list_namespaced_pod(kube_ns, label_selector="app=y").items == []
    patched = core.patch_namespaced_pod("p", kube_ns, {"metadata": {"labels": {"patched": "yes"}}})
    assert patched.metadata.labels == {"app": "x", "patched": "yes"}
    patched.metadata.annotations = {"replaced": "yes"}
    replaced = core.replace_namespaced_pod("p", kube_ns, patched)
    assert replaced.metadata.annotations == {"replaced": "yes"}
    with pytest.raises(ApiException) as conflict:
        core.replace_namespaced_pod("p", kube_ns, patched)          # stale resourceVersion
    assert conflict.value.status == 409
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_pod("nope", kube_ns)
    assert missing.value.status == 404
    deleted = core.delete_namespaced_pod("p", kube_ns)
    assert deleted.metadata.name == "p"


def test_python_client_apps_and_scale(k8s, kube_ns):
    apps = client.AppsV1Api(k8s)
    labels = {"app": "web"}
    deployment = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1DeploymentSpec(
            replicas=1, selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels=labels), spec=client.V1PodSpec(
                containers=[client.V1Container(name="web", image="minikube-py/hello")]))))
    apps.create_namespaced_deployment(kube_ns, deployment)
    apps.patch_namespaced_deployment_scale("web", kube_ns, {"spec": {"replicas": 3}})
    assert apps.read_namespaced_deployment("web", kube_ns).spec.replicas == 3
    assert apps.read_namespaced_deployment_scale("web", kube_ns).status.selector == "app=web"


def test_python_client_watch(k8s, kube_ns):
    core = client.CoreV1Api(k8s)
    seen: list[tuple[str, str]] = []
    start = core.list_namespaced_config_map(kube_ns).metadata.resource_version

    def watch_configmaps() -> None:
        for event in watch.Watch().stream(core.list_namespaced_config_map, kube_ns, resource_version=start,
                                          timeout_seconds=10):
            seen.append((event["type"], event["object"].metadata.name))
            if event["type"] == "DELETED":
                return

    watcher = threading.Thread(target=watch_configmaps, daemon=True)
    watcher.start()   # it starts from `start`, so nothing written below can be missed
    cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c"), data={"a": "1"})
    core.create_namespaced_config_map(kube_ns, cm)
    core.patch_namespaced_config_map("c", kube_ns, {"data": {"a": "2"}})
    core.delete_namespaced_config_map("c", kube_ns)
    watcher.join(timeout=15)
    assert seen == [("ADDED", "c"), ("MODIFIED", "c"), ("DELETED", "c")]


MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: minikube-py/hello:latest
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {{app: web}}
  ports:
  - port: 80
    targetPort: 8080
"""


@pytest.fixture
def kubectl(kubectl_path, apiserver, tmp_path: Path):
    def run(*args: str, stdin: str | None = None, ok: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([kubectl_path, "--server", apiserver.url, "--cache-dir", str(tmp_path / "cache"),
                                 *args], input=stdin, capture_output=True, text=True, timeout=60,
                                env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
        if ok:
            assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
        return result
    return run


def test_kubectl_apply_get_scale_label_delete(kubectl, ns, tmp_path):
    manifest = tmp_path / "web.yaml"
    manifest.write_text(MANIFEST.format(replicas=1))
    out = kubectl("apply", "-n", ns, "-f", str(manifest)).stdout
    assert "deployment.apps/web created" in out and "service/web created" in out
    manifest.write_text(MANIFEST.format(replicas=2))
    out = kubectl("apply", "-n", ns, "-f", str(manifest)).stdout
    assert "deployment.apps/web configured" in out and "service/web unchanged" in out
    header = kubectl("get", "deployments", "-n", ns).stdout.splitlines()[0].split()
    assert header == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    kubectl("scale", "-n", ns, "deployment/web", "--replicas=4")
    assert kubectl("get", "deploy", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}").stdout == "4"
    kubectl("label", "-n", ns, "service", "web", "tier=front")
    assert "web" in kubectl("get", "svc", "-n", ns, "-l", "tier=front", "-o", "name").stdout
    svc_line = kubectl("get", "svc", "web", "-n", ns).stdout.splitlines()[1].split()
    assert svc_line[0] == "web" and svc_line[1] == "ClusterIP" and svc_line[2].startswith("10.")
    out = kubectl("delete", "-n", ns, "-f", str(manifest)).stdout
    assert 'deployment.apps "web" deleted' in out


def test_kubectl_get_pods_columns_and_errors(kubectl, ns):
    pod = ('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},'
           '"spec":{"containers":[{"name":"c","image":"minikube-py/busybox"}]}}')
    kubectl("create", "-n", ns, "-f", "-", stdin=pod)
    lines = kubectl("get", "pods", "-n", ns, "-o", "wide").stdout.splitlines()
    assert lines[0].split()[:5] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert lines[1].split()[:3] == ["p", "0/1", "Pending"]
    bad = kubectl("create", "-n", ns, "-f", "-", ok=False, stdin=pod.replace('"name":"p"', '"name":"Bad_Name"'))
    assert bad.returncode != 0 and "is invalid" in bad.stderr and "metadata.name" in bad.stderr
    missing = kubectl("get", "pod", "nope", "-n", ns, ok=False)
    assert missing.returncode != 0 and 'pods "nope" not found' in missing.stderr
