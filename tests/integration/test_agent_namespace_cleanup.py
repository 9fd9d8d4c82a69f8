"""Deleting a namespace leaves no container behind on the node (the lab e2e scenario, one node).

The namespace controller deletes the namespace's Deployment, ReplicaSet, Job
and pods; the agent stops each running pod's containers (gracefully) and
removes them before it confirms the deletion. A completed pod leaves the API
at once (the API server gives terminal pods no grace period); its pod worker
then removes its exited containers.
"""
from __future__ import annotations

import pytest

from minikube_py.testing import eventually
from tests.agent_harness import HELLO, IMAGE, POLL, pod_body
from tests.controller_harness import controllers_running

POD_NAMESPACE_LABEL = "io.minikube-py.pod-namespace"


@pytest.fixture
async def controllers(apiserver):
    async with controllers_running(apiserver.url,
                                   ["deployment", "replicaset", "job", "namespace", "garbagecollector"]) as running:
        yield running


async def test_deleting_a_namespace_removes_every_container_of_it(http, ns, agent, controllers, docker_client):
    labels = {"app": "web"}
    template = {"metadata": {"labels": labels}, "spec": {
        "nodeName": agent.node, "terminationGracePeriodSeconds": 2,
        "containers": [{"name": "web", "image": HELLO, "imagePullPolicy": "IfNotPresent"}]}}
    await http.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": template}})
    await http.ok("POST", f"/apis/batch/v1/namespaces/{ns}/jobs", {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"}, "spec": {"template": {"spec": {
            "nodeName": agent.node, "restartPolicy": "Never",
            "containers": [{"name": "once", "image": IMAGE, "command": ["true"]}]}}}})
    # PID 1 ignores SIGTERM: only the SIGKILL at the end of its grace period stops it.
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body(
        "stubborn", agent.node, [{"name": "app", "image": IMAGE, "command": ["sleep", "3600"]}],
        terminationGracePeriodSeconds=2))

    def containers(form: str = "id") -> list[str]:
        found = docker_client.containers.list(all=True, filters={"label": f"{POD_NAMESPACE_LABEL}={ns}"})
        return [c.id if form == "id" else f"{c.name} {c.status}" for c in found]

    async def all_started():
        status, pods = await http.get(f"/api/v1/namespaces/{ns}/pods")
        phases = sorted(p["status"].get("phase", "") for p in pods["items"])
        return phases == ["Running", "Running", "Running", "Succeeded"] and len(containers()) >= 8
    await eventually(all_started, "3 running pods and a completed one, with their containers",
                     interval=POLL, explain=agent.log_tail)

    await http.ok("DELETE", f"/api/v1/namespaces/{ns}")

    async def namespace_gone():
        status, _ = await http.get(f"/api/v1/namespaces/{ns}")
        return status == 404
    await eventually(namespace_gone, f"namespace {ns} to go", timeout=60, interval=POLL, explain=agent.log_tail)
    # Running pods went only after their containers; the completed Job pod left the API at once
    # (no grace period for terminal pods), so its exited containers may take one more moment.
    async def no_containers():
        return not containers()
    try:
        await eventually(no_containers, "the namespace's containers to be removed", timeout=20,
                         interval=POLL, explain=agent.log_tail)
    except AssertionError as e:
        raise AssertionError(f"{e}\nleft behind: {containers('names')}") from None
