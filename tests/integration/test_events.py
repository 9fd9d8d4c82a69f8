"""The EventRecorder writes Events that aggregate repeats, as client-go's correlator does."""
from __future__ import annotations

from minikube_py.client.config import ClientConfig
from minikube_py.client.events import EventRecorder
from minikube_py.client.rest import ApiClient
from tests.helpers import pod


async def test_events_are_recorded_and_repeats_counted(http, ns, apiserver):
    target = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p"))
    async with ApiClient(ClientConfig(server=apiserver.url)) as api:
        recorder = EventRecorder(api, "test-scheduler")
        await recorder.warning(target, "FailedScheduling", "0/3 nodes are available: 3 Insufficient cpu.")
        await recorder.warning(target, "FailedScheduling", "0/3 nodes are available: 3 Insufficient cpu.")
        await recorder.normal(target, "Scheduled", f"Successfully assigned {ns}/p to node-1")
    listed = await http.ok("GET", f"/api/v1/namespaces/{ns}/events?fieldSelector=involvedObject.name%3Dp,"
                                  f"involvedObject.uid%3D{target['metadata']['uid']}")
    by_reason = {e["reason"]: e for e in listed["items"]}
    assert set(by_reason) == {"FailedScheduling", "Scheduled"}
    assert by_reason["FailedScheduling"]["count"] == 2 and by_reason["FailedScheduling"]["type"] == "Warning"
    assert by_reason["Scheduled"]["count"] == 1
    assert by_reason["Scheduled"]["source"]["component"] == "test-scheduler"
    assert by_reason["Scheduled"]["involvedObject"]["kind"] == "Pod"
