"""kubectl's typed creates against the real API server process, with kubectl 1.20 (JSON bodies)
and kubectl 1.33 (protobuf bodies), and protobuf bodies sent by hand."""
from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from apiserver.protobuf import encode_protobuf

PROTOBUF = "application/vnd.kubernetes.protobuf"


@pytest.fixture
def kubectl(any_kubectl, apiserver, tmp_path: Path):
    def run(*args: str) -> str:
        result = subprocess.run([any_kubectl, "--server", apiserver.url, "--cache-dir", str(tmp_path / "cache"),
                                 *args], capture_output=True, text=True, timeout=60,
                                env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
        assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
        return result.stdout
    return run


async def test_typed_creates(kubectl, http, unique):
    ns = f"typed-{unique}"
    assert kubectl("create", "namespace", ns).strip() == f"namespace/{ns} created"
    try:
        kubectl("-n", ns, "create", "configmap", "cfg", "--from-literal=a=1", "--from-literal=b=two")
        kubectl("-n", ns, "create", "secret", "generic", "sec", "--from-literal=password=s3cr3t")
        kubectl("-n", ns, "create", "deployment", "web", "--image=minikube-py/hello", "--replicas=2",
                "--port=8080")
        kubectl("-n", ns, "create", "job", "once", "--image=minikube-py/busybox", "--", "echo", "hi")
        kubectl("-n", ns, "create", "service", "clusterip", "svc", "--tcp=80:8080")

        namespace = await http.ok("GET", f"/api/v1/namespaces/{ns}")
        assert namespace["status"]["phase"] == "Active" and namespace["metadata"]["uid"]
        cfg = await http.ok("GET", f"/api/v1/namespaces/{ns}/configmaps/cfg")
        assert cfg["data"] == {"a": "1", "b": "two"}
        secret = await http.ok("GET", f"/api/v1/namespaces/{ns}/secrets/sec")
        assert base64.b64decode(secret["data"]["password"]) == b"s3cr3t" and secret["type"] == "Opaque"
        deployment = await http.ok("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/web")
        assert deployment["spec"]["replicas"] == 2
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]     # defaulted after decoding
        job = await http.ok("GET", f"/apis/batch/v1/namespaces/{ns}/jobs/once")
        assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "hi"]
        service = await http.ok("GET", f"/api/v1/namespaces/{ns}/services/svc")
        assert service["spec"]["ports"][0]["port"] == 80 and service["spec"]["ports"][0]["targetPort"] == 8080
        assert service["spec"]["clusterIP"].startswith("10.")
        out = kubectl("get", "deployment,service,job,configmap,secret", "-n", ns, "-o", "name")
        assert {"deployment.apps/web", "service/svc", "job.batch/once", "configmap/cfg",
                "secret/sec"} <= set(out.split())
    finally:
        await http.delete(f"/api/v1/namespaces/{ns}")


async def test_create_poddisruptionbudget(kubectl_path, kubectl_current, apiserver, http, ns, tmp_path: Path):
    """kubectl 1.33 sends a policy/v1 budget as protobuf; kubectl 1.20 asks for policy/v1beta1, which
    Kubernetes removed in 1.25, so it fails against a real 1.33 cluster just as here."""
    args = ["--server", apiserver.url, "-n", ns, "create", "poddisruptionbudget", "pdb", "--selector=app=web",
            "--min-available=50%"]
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    current = subprocess.run([kubectl_current, *args], capture_output=True, text=True, timeout=60, env=env)
    assert current.returncode == 0, current.stderr
    pdb = await http.ok("GET", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/pdb")
    assert pdb["spec"]["minAvailable"] == "50%" and pdb["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    old = subprocess.run([kubectl_path, *args], capture_output=True, text=True, timeout=60, env=env)
    assert old.returncode == 1 and 'no matches for kind "PodDisruptionBudget" in version "policy/v1beta1"' \
        in old.stderr


async def test_protobuf_create_answers_json(http, ns):
    body = encode_protobuf({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "pb"},
                            "data": {"k": "v"}})
    status, created = await http.call("POST", f"/api/v1/namespaces/{ns}/configmaps", raw=body,
                                      content_type=PROTOBUF, headers={"Accept": f"{PROTOBUF},application/json"})
    assert status == 201 and created["data"] == {"k": "v"} and created["metadata"]["namespace"] == ns


async def test_protobuf_only_accept_is_406(http, ns):
    status, answer = await http.call("GET", f"/api/v1/namespaces/{ns}/configmaps",
                                     headers={"Accept": PROTOBUF})
    assert status == 406 and answer["reason"] == "NotAcceptable"


async def test_bad_protobuf_body_is_400(http, ns):
    status, answer = await http.call("POST", f"/api/v1/namespaces/{ns}/configmaps", raw=b"k8s\x00\xff\xff",
                                     content_type=PROTOBUF)
    assert status == 400 and "error decoding protobuf body" in answer["message"]


async def test_protobuf_delete_options_are_honoured(http, ns):
    """A DELETE body in protobuf (meta/v1 DeleteOptions) goes through the same pipeline as JSON."""
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"nodeName": "no-such-node", "containers": [{"name": "c", "image": "minikube-py/busybox"}]}})
    options = encode_protobuf({"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 7})
    deleted = await http.ok("DELETE", f"/api/v1/namespaces/{ns}/pods/p", raw=options, content_type=PROTOBUF)
    assert deleted["metadata"]["deletionGracePeriodSeconds"] == 7     # a bound pod waits for its kubelet
    options = encode_protobuf({"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0})
    await http.ok("DELETE", f"/api/v1/namespaces/{ns}/pods/p", raw=options, content_type=PROTOBUF)
    status, _ = await http.get(f"/api/v1/namespaces/{ns}/pods/p")
    assert status == 404
