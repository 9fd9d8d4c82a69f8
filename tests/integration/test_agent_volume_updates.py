"""configMap and secret volumes follow their objects while the container runs.

Kubelet re-projects these volumes on every pod sync (at least every
--sync-frequency, 5 s in these tests), so a changed key shows up in the
mounted file, a new key as a new file and a removed key disappears — with
no restart. Each version is switched in at once through the `..data`
symlink, as kubelet's AtomicWriter does. (A subPath mount would not follow;
that is Kubernetes' rule too.)
"""
from __future__ import annotations

import base64

from minikube_py.testing import eventually
from tests.agent_harness import FOREVER, POLL, container_status, pod_body, pod_now, sh, wait_phase


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def test_updated_config_map_and_secret_reach_the_running_container(http, ns, agent, docker_client):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"colour": "red",
                                                                                         "size": "small"}})
    await http.ok("POST", f"/api/v1/namespaces/{ns}/secrets", {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "data": {"password": b64("one")}})
    container = sh("app", FOREVER, volumeMounts=[{"name": "settings", "mountPath": "/etc/settings"},
                                                 {"name": "creds", "mountPath": "/etc/creds", "readOnly": True}])
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body("reader", agent.node, [container], volumes=[
        {"name": "settings", "configMap": {"name": "settings"}},
        {"name": "creds", "secret": {"secretName": "creds"}}]))
    pod = await wait_phase(http, ns, "reader", "Running", agent)
    container_id = container_status(pod, "app")["containerID"].removeprefix("docker://")
    app = docker_client.containers.get(container_id)

    def inside(script: str) -> str:
        code, output = app.exec_run(["sh", "-c", script])
        return output.decode()

    def files() -> str:
        return inside("cd /etc/settings && for f in *; do echo $f=$(cat $f); done; "
                      "echo password=$(cat /etc/creds/password)")
    assert files().split() == ["colour=red", "size=small", "password=one"]
    # read-only although the pod did not ask (only the creds mount did), as in Kubernetes
    refused = inside("echo x > /etc/settings/colour 2>&1; touch /etc/settings/new 2>&1")
    assert refused.count("Read-only file system") == 2, refused
    assert inside("readlink /etc/settings/colour").strip() == "..data/colour"
    first_version = inside("readlink /etc/settings/..data").strip()
    assert first_version.startswith("..")

    await http.ok("PUT", f"/api/v1/namespaces/{ns}/configmaps/settings", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
        "data": {"colour": "blue", "shape": "round"}})
    await http.ok("PATCH", f"/api/v1/namespaces/{ns}/secrets/creds", {"data": {"password": b64("two")}},
                  content_type="application/merge-patch+json")

    async def updated():
        return files().split() == ["colour=blue", "shape=round", "password=two"]
    await eventually(updated, "the new contents inside the container", interval=POLL, explain=agent.log_tail)
    assert inside("readlink /etc/settings/..data").strip() not in ("", first_version)
    assert inside("ls -A /etc/settings | grep -c '^[.][.]'").strip() == "2"   # ..data and one version

    pod = await pod_now(http, ns, "reader")
    status = container_status(pod, "app")
    assert status["containerID"] == f"docker://{container_id}" and status["restartCount"] == 0
    assert app.reload() is None and app.status == "running"
