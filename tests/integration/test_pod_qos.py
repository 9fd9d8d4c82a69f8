"""One QoS class from create to the kubelet's status (issue 12): requests `cpu: 1000m` with
limits `cpu: 1` are the same quantity, so the pod is Guaranteed for the API server and
stays Guaranteed in the status the kubelet computes and patches."""
from __future__ import annotations

from agent.kubelet.runtime.types import ContainerRecord
from agent.kubelet.status import Observation, pod_status
from tests.helpers import pod

RESOURCES = {"requests": {"cpu": "1000m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "128Mi"}}


def guaranteed_pod(name: str) -> dict:
    body = pod(name)
    body["spec"]["containers"][0]["resources"] = RESOURCES
    return body


def running(container: str) -> ContainerRecord:
    return ContainerRecord(id="c1", pod_uid="u", pod_name="p", pod_namespace="ns", name=container, kind="app",
                           restart_count=0, attempt=0, state="running", exit_code=None,
                           started_at="2024-01-01T00:00:00Z")


async def test_1000m_cpu_request_with_limit_1_is_guaranteed_at_create_and_in_kubelet_status(http, ns):
    created = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", guaranteed_pod("qos"))
    assert created["status"]["qosClass"] == "Guaranteed"
    stored = await http.ok("GET", f"/api/v1/namespaces/{ns}/pods/qos")
    assert stored["status"]["qosClass"] == "Guaranteed"

    container = stored["spec"]["containers"][0]["name"]
    status = pod_status(stored, Observation(history={container: [running(container)]}, host_ip="10.0.0.1"))
    assert status["qosClass"] == "Guaranteed"
    # what the kubelet's StatusManager sends through pods/status: the class does not flip
    patched = await http.ok("PATCH", f"/api/v1/namespaces/{ns}/pods/qos/status",
                            {"metadata": {"uid": stored["metadata"]["uid"]}, "status": status},
                            content_type="application/merge-patch+json")
    assert patched["status"]["qosClass"] == "Guaranteed" and patched["status"]["phase"] == "Running"
