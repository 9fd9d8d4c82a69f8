"""kubectl 1.20 and 1.33 against dry run and server-side apply, as a user types them.

diff, apply/create --dry-run=server, apply --server-side (create, update, a
conflict with a second field manager, --force-conflicts) and the move from
client-side to server-side apply. Every answer is checked against what the
API server then really stores.
"""
from __future__ import annotations

import importlib.util

import pytest

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, labels: {{app: web}}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: {image}
        ports: [{{containerPort: 80}}]
"""


def manifest(replicas: int = 2, image: str = "minikube-py/hello:v1") -> str:
    return MANIFEST.format(replicas=replicas, image=image)


async def stored(http, ns: str, name: str = "web") -> dict | None:
    status, body = await http.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{name}")
    return body if status == 200 else None


async def deployment(http, ns: str, name: str = "web") -> dict:
    """The stored Deployment, which must exist."""
    found = await stored(http, ns, name)
    assert found is not None, f"deployment {ns}/{name} is not stored"
    return found


def managers(obj: dict) -> dict[str, dict]:
    return {f'{e["manager"]}/{e["operation"]}': e["fieldsV1"] for e in obj["metadata"]["managedFields"]}


async def test_server_dry_run_of_apply_and_create_stores_nothing(kubectl, http, ns):
    out = kubectl.run("apply", "--dry-run=server", "-f", "-", stdin=manifest()).stdout
    assert "deployment.apps/web created (server dry run)" in out
    answer = kubectl.run("create", "--dry-run=server", "-o", "yaml", "-f", "-", stdin=manifest()).stdout
    assert "uid:" in answer and "creationTimestamp:" in answer and "progressDeadlineSeconds: 600" in answer
    assert await stored(http, ns) is None


async def test_diff_shows_what_apply_would_change(kubectl, http, ns):
    result = kubectl.run("diff", "-f", "-", stdin=manifest(), check=False)
    assert result.returncode == 1, result.stderr          # 1: there are differences (the object is new)
    assert "+  replicas: 2" in result.stdout
    kubectl.run("apply", "-f", "-", stdin=manifest())
    assert kubectl.run("diff", "-f", "-", stdin=manifest(), check=False).returncode == 0
    result = kubectl.run("diff", "-f", "-", stdin=manifest(replicas=3), check=False)
    assert result.returncode == 1 and "-  replicas: 2" in result.stdout and "+  replicas: 3" in result.stdout
    assert (await deployment(http, ns))["spec"]["replicas"] == 2


async def test_server_side_apply_create_update_conflict_and_force(kubectl, http, ns):
    out = kubectl.run("apply", "--server-side", "-f", "-", stdin=manifest()).stdout
    assert "deployment.apps/web serverside-applied" in out
    created = await deployment(http, ns)
    assert "kubectl/Apply" in managers(created)
    assert "f:replicas" in managers(created)["kubectl/Apply"]["f:spec"]
    kubectl.run("apply", "--server-side", "-f", "-", stdin=manifest(image="minikube-py/hello:v2"))
    assert (await deployment(http, ns))["spec"]["template"]["spec"]["containers"][0]["image"] == "minikube-py/hello:v2"

    result = kubectl.run("apply", "--server-side", "--field-manager=ops", "-f", "-",
                         stdin=manifest(replicas=5, image="minikube-py/hello:v2"), check=False)
    assert result.returncode != 0
    assert 'conflict with "kubectl": .spec.replicas' in result.stderr, result.stderr
    assert (await deployment(http, ns))["spec"]["replicas"] == 2

    kubectl.run("apply", "--server-side", "--field-manager=ops", "--force-conflicts", "-f", "-",
                stdin=manifest(replicas=5, image="minikube-py/hello:v2"))
    after = await deployment(http, ns)
    assert after["spec"]["replicas"] == 5
    assert "f:replicas" in managers(after)["ops/Apply"]["f:spec"]
    assert "f:replicas" not in managers(after)["kubectl/Apply"]["f:spec"]


async def test_migration_from_client_side_apply(kubectl, http, ns):
    kubectl.run("apply", "-f", "-", stdin=manifest())          # client-side: last-applied annotation
    before = await deployment(http, ns)
    assert "kubectl.kubernetes.io/last-applied-configuration" in before["metadata"]["annotations"]
    assert "f:replicas" in managers(before)["kubectl-client-side-apply/Update"]["f:spec"]
    # the same manifest with a change, now server-side: no conflict with the client-side owner
    result = kubectl.run("apply", "--server-side", "-f", "-", stdin=manifest(replicas=4), check=False)
    assert result.returncode == 0, result.stderr
    after = await deployment(http, ns)
    assert after["spec"]["replicas"] == 4
    assert "f:replicas" in managers(after)["kubectl/Apply"]["f:spec"]
    assert "f:replicas" not in managers(after)["kubectl-client-side-apply/Update"]["f:spec"]


async def test_typed_create_dry_run(kubectl, http, ns):
    if kubectl.version != "1.20" and importlib.util.find_spec("apiserver.protobuf") is None:
        pytest.skip("kubectl >= 1.32 sends typed creates as protobuf; this server has no protobuf decoder yet")
    answer = kubectl.run("create", "configmap", "c", "--from-literal=k=v", "--dry-run=server", "-o", "yaml").stdout
    assert "k: v" in answer and "uid:" in answer
    status, _ = await http.get(f"/api/v1/namespaces/{ns}/configmaps/c")
    assert status == 404
