"""Real kubectl 1.20 against the discovery and OpenAPI routes, served on a random loopback port.

kubectl is the hold-out of truth: `api-resources`, `api-versions`, `explain` and
client-side validation of `create -f` must all work as against real Kubernetes.
The server has only the discovery routes; creating objects is answered by a
recording handler, so we can see whether kubectl got as far as the POST.
"""
from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from apiserver import discovery, tables
from minikube_py.api.resources import lookup

KUBECTL = Path(__file__).resolve().parents[2] / ".run/tools/usr/bin/kubectl"

pytestmark = pytest.mark.skipif(not KUBECTL.exists(), reason=f"kubectl 1.20 not found at {KUBECTL}")

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: lab, cluster: {server: "http://127.0.0.1:{port}"}}]
users: [{name: me, user: {}}]
contexts: [{name: lab, context: {cluster: lab, user: me, namespace: default}}]
current-context: lab
"""

VALID_MANIFEST = """\
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - name: web
    image: busybox
    command: [sleep, "3600"]
    ports: [{name: http, containerPort: 80}]
    env: [{name: MODE, value: demo}, {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}]
    resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 1}}
    readinessProbe: {httpGet: {path: /, port: http}, periodSeconds: 5}
    livenessProbe: {tcpSocket: {port: 80}}
    volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, emptyDir: {}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 25%}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: busybox}]}
"""

UNKNOWN_FIELD_MANIFEST = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers: [{name: web, image: busybox, imagePullPolicyy: Always}]
"""

WRONG_TYPE_MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: two
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: busybox}]}}
"""


# Objects the stand-in list handler serves, to check that kubectl prints our Tables.
STORED = {
    "pods": [{"apiVersion": "v1", "kind": "Pod",
              "metadata": {"name": "web-1", "namespace": "default", "labels": {"app": "web"},
                           "creationTimestamp": "2020-01-01T00:00:00Z"},
              "spec": {"nodeName": "node-1", "containers": [{"name": "web", "image": "busybox"}]},
              "status": {"phase": "Running", "podIP": "10.244.1.5",
                         "containerStatuses": [{"name": "web", "ready": True, "restartCount": 2,
                                                "state": {"running": {}}}]}}],
    "nodes": [{"apiVersion": "v1", "kind": "Node",
               "metadata": {"name": "node-1", "creationTimestamp": "2020-01-01T00:00:00Z"},
               "spec": {"unschedulable": True},
               "status": {"conditions": [{"type": "Ready", "status": "True"}],
                          "nodeInfo": {"kubeletVersion": "v1.33.0-minikube-py"}}}],
}


async def list_stored(request: web.Request) -> web.Response:
    """GET /api/v1/[namespaces/{ns}/]{plural}: a Table when asked for one, as the real server does."""
    plural = request.match_info["plural"]
    resource = lookup(plural)
    if resource is None or plural not in STORED:
        return web.json_response({"kind": "Status", "code": 404, "reason": "NotFound"}, status=404)
    table_version = tables.table_request(request.headers.get("Accept", ""))
    if table_version:
        return web.json_response(tables.to_table(
            resource, STORED[plural], table_version=table_version,
            include_object=request.query.get("includeObject", "Metadata"), list_metadata={"resourceVersion": "7"}))
    return web.json_response({"kind": resource.kind_list, "apiVersion": "v1", "metadata": {"resourceVersion": "7"},
                              "items": STORED[plural]})


@dataclass
class Lab:
    """A running server plus a kubectl configured for it, with its own caches."""
    server: TestServer
    home: Path
    posts: list[str] = field(default_factory=list)

    async def kubectl(self, *args: str) -> tuple[int, str, str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.home),
               "KUBECONFIG": str(self.home / "kubeconfig")}
        # Asynchronous: the server runs on this same event loop and must keep answering.
        process = await asyncio.create_subprocess_exec(
            str(KUBECTL), "--cache-dir", str(self.home / "cache"), *args, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        return process.returncode or 0, stdout.decode(), stderr.decode()

    def manifest(self, name: str, text: str) -> str:
        path = self.home / name
        path.write_text(text)
        return str(path)


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    posts: list[str] = []

    async def record_post(request: web.Request) -> web.Response:
        posts.append(request.path)
        return web.json_response({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                  "reason": "NotFound", "code": 404, "message": "not served in this test"},
                                 status=404)

    app = web.Application()
    app.add_routes(discovery.routes)
    app.router.add_post("/{path:.*}", record_post)
    app.router.add_get("/api/v1/{plural}", list_stored)
    app.router.add_get("/api/v1/namespaces/{namespace}/{plural}", list_stored)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        (tmp_path / "kubeconfig").write_text(KUBECONFIG.replace("{port}", str(server.port)))
        yield Lab(server, tmp_path, posts)
    finally:
        await server.close()


async def test_api_resources_lists_kinds_and_short_names(lab: Lab) -> None:
    code, out, err = await lab.kubectl("api-resources")
    assert code == 0, err
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert rows["pods"] == ["pods", "po", "v1", "true", "Pod"]
    assert rows["deployments"] == ["deployments", "deploy", "apps/v1", "true", "Deployment"]
    assert rows["nodes"] == ["nodes", "no", "v1", "false", "Node"]
    assert rows["leases"] == ["leases", "coordination.k8s.io/v1", "true", "Lease"]
    assert rows["priorityclasses"] == ["priorityclasses", "pc", "scheduling.k8s.io/v1", "false", "PriorityClass"]
    assert rows["poddisruptionbudgets"] == ["poddisruptionbudgets", "pdb", "policy/v1", "true", "PodDisruptionBudget"]
    assert rows["networkpolicies"] == ["networkpolicies", "netpol", "networking.k8s.io/v1", "true", "NetworkPolicy"]
    assert not any("/" in name for name in rows), "subresources must not be listed"


async def test_api_versions_and_version(lab: Lab) -> None:
    code, out, err = await lab.kubectl("api-versions")
    assert code == 0, err
    assert out.split() == ["apps/v1", "batch/v1", "coordination.k8s.io/v1", "networking.k8s.io/v1", "policy/v1",
                           "scheduling.k8s.io/v1", "v1"]
    code, out, err = await lab.kubectl("version", "--short")
    assert code == 0, err
    assert "Server Version: v1.33.0-minikube-py" in out


async def test_explain(lab: Lab) -> None:
    code, out, err = await lab.kubectl("explain", "pods.spec")
    assert code == 0, err
    assert "KIND:     Pod" in out and "VERSION:  v1" in out
    assert "containers\t<[]Object> -required-" in out
    assert "nodeSelector\t<map[string]string>" in out
    code, out, err = await lab.kubectl("explain", "pods.spec.containers")
    assert code == 0, err
    assert "RESOURCE: containers <[]Object>" in out and "name\t<string> -required-" in out
    code, out, err = await lab.kubectl("explain", "deploy.spec.strategy.rollingUpdate.maxSurge")
    assert code == 0, err
    assert "KIND:     Deployment" in out and "VERSION:  apps/v1" in out


async def test_valid_manifest_passes_validation_and_is_posted(lab: Lab) -> None:
    code, _, err = await lab.kubectl("create", "-f", lab.manifest("valid.yaml", VALID_MANIFEST))
    assert "error validating" not in err
    assert lab.posts == ["/api/v1/namespaces/default/pods", "/apis/apps/v1/namespaces/default/deployments"]
    assert code != 0 and "not served in this test" in err        # our stand-in POST handler said 404
    code, out, err = await lab.kubectl("create", "--dry-run=client", "-o", "name", "-f",
                                       lab.manifest("valid.yaml", VALID_MANIFEST))
    assert code == 0, err
    assert out.split() == ["pod/web", "deployment.apps/web"]


@pytest.mark.parametrize("manifest, message", [
    (UNKNOWN_FIELD_MANIFEST, 'ValidationError(Pod.spec.containers[0]): unknown field "imagePullPolicyy" '
                             'in io.k8s.api.core.v1.Container'),
    (WRONG_TYPE_MANIFEST, 'ValidationError(Deployment.spec.replicas): invalid type for '
                          'io.k8s.api.apps.v1.DeploymentSpec.replicas: got "string", expected "integer"'),
])
async def test_invalid_manifest_is_rejected_before_sending(lab: Lab, manifest: str, message: str) -> None:
    path = lab.manifest("invalid.yaml", manifest)
    for dry_run in ([], ["--dry-run=client"]):          # 1.20 validates on client dry-run too
        code, _, err = await lab.kubectl("create", *dry_run, "-f", path)
        assert code == 1
        assert "error validating data: " + message in err
        assert "turn validation off with --validate=false" in err
    assert lab.posts == []
    code, _, err = await lab.kubectl("create", "--validate=false", "-f", path)
    assert lab.posts == ["/api/v1/namespaces/default/pods" if "Pod" in manifest
                         else "/apis/apps/v1/namespaces/default/deployments"]


async def test_kubectl_get_prints_our_tables(lab: Lab) -> None:
    code, out, err = await lab.kubectl("get", "pods")
    assert code == 0, err
    header, row = out.splitlines()
    assert header.split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert row.split()[:4] == ["web-1", "1/1", "Running", "2"]
    code, out, err = await lab.kubectl("get", "po", "-o", "wide", "--show-labels")
    assert code == 0, err
    header, row = out.splitlines()
    assert header.split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE",
                              "READINESS", "GATES", "LABELS"]
    assert row.split()[5:] == ["10.244.1.5", "node-1", "<none>", "<none>", "app=web"]
    code, out, err = await lab.kubectl("get", "nodes")
    assert code == 0, err
    assert out.splitlines()[1].split()[:3] == ["node-1", "Ready,SchedulingDisabled", "<none>"]
    code, out, err = await lab.kubectl("get", "pods", "--sort-by", ".metadata.name", "-o", "name")
    assert code == 0, err
    assert out.split() == ["pod/web-1"]
