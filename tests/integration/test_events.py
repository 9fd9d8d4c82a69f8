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


async def test_events_expire_through_an_etcd_lease(http, ns, etcd, apiserver):
    """Like kube-apiserver's --event-ttl: Event keys carry an etcd lease, also after an update."""
    import aetcd
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e1"}, "reason": "Test",
             "message": "hello", "type": "Normal", "involvedObject": {"kind": "Pod", "name": "p", "namespace": ns}}
    created = await http.ok("POST", f"/api/v1/namespaces/{ns}/events", event)
    created["count"] = 2
    await http.ok("PUT", f"/api/v1/namespaces/{ns}/events/e1", created)
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kept"}}
    await http.ok("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap)
    host, port = etcd.endpoint.removeprefix("http://").split(":")
    async with aetcd.Client(host=host, port=int(port)) as client:
        stored = await client.get(f"{apiserver.prefix}/events/{ns}/e1".encode())
        assert stored.lease != 0
        info = await client.get_lease_info(stored.lease)
        assert 3600 <= info.TTL <= 3660
        kept = await client.get(f"{apiserver.prefix}/configmaps/{ns}/kept".encode())
        assert kept.lease == 0          # other objects never expire


async def test_one_request_per_event_and_counts_survive_a_restart_and_an_expiry(http, ns, apiserver, monkeypatch):
    """A new event is one POST, a repeat one PATCH (client-go's recordToSink); a recorder that
    restarts continues the stored count; a repeat of an Event that expired creates it again."""
    target = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p"))
    async with ApiClient(ClientConfig(server=apiserver.url)) as api:
        sent: list[str] = []
        original = api.request

        async def counting(method, path, **kwargs):
            sent.append(method)
            return await original(method, path, **kwargs)
        monkeypatch.setattr(api, "request", counting)
        recorder = EventRecorder(api, "test-component")
        await recorder.normal(target, "Pulled", "image pulled")
        await recorder.normal(target, "Pulled", "image pulled")
        assert sent == ["POST", "PATCH"]
        await EventRecorder(api, "test-component").normal(target, "Pulled", "image pulled")   # a restart
        listed = await http.ok("GET", f"/api/v1/namespaces/{ns}/events")
        (event,) = [e for e in listed["items"] if e["reason"] == "Pulled"]
        assert event["count"] == 3
        await http.ok("DELETE", f"/api/v1/namespaces/{ns}/events/{event['metadata']['name']}")
        await recorder.normal(target, "Pulled", "image pulled")
        again = await http.ok("GET", f"/api/v1/namespaces/{ns}/events/{event['metadata']['name']}")
        assert again["count"] == 3 and again["reason"] == "Pulled"
