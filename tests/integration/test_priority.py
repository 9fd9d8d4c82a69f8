"""PriorityClass (scheduling.k8s.io/v1) and the Priority admission: spec.priority comes from
spec.priorityClassName (or the globalDefault class) when a pod is created, as in Kubernetes."""
from __future__ import annotations

import aiohttp
import pytest

from tests.helpers import Http, pod

CLASSES = "/apis/scheduling.k8s.io/v1/priorityclasses"


def priority_class(name: str, value: int, **extra) -> dict:
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
            "value": value, **extra}


@pytest.fixture
async def own_http(private_apiserver):
    """A server of this module alone: a globalDefault class changes every pod created there."""
    async with aiohttp.ClientSession() as session:
        yield Http(private_apiserver.url, session)


async def test_system_classes_exist_and_a_named_class_sets_the_priority(http, ns, unique):
    listed = await http.ok("GET", CLASSES)
    values = {pc["metadata"]["name"]: pc["value"] for pc in listed["items"]}
    assert values["system-node-critical"] == 2_000_001_000 and values["system-cluster-critical"] == 2_000_000_000
    await http.ok("POST", CLASSES, priority_class(f"high-{unique}", 1000))
    try:
        created = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods",
                                pod("p", priorityClassName=f"high-{unique}"))
        assert created["spec"]["priority"] == 1000
        assert created["spec"]["preemptionPolicy"] == "PreemptLowerPriority"
        plain = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("q"))
        assert plain["spec"]["priority"] == 0 and "priorityClassName" not in plain["spec"]
        # an update that leaves spec.priority out keeps it
        created["spec"].pop("priority")
        updated = await http.ok("PUT", f"/api/v1/namespaces/{ns}/pods/p", created)
        assert updated["spec"]["priority"] == 1000
    finally:
        await http.ok("DELETE", f"{CLASSES}/high-{unique}")


async def test_unknown_class_and_a_conflicting_priority_are_forbidden(http, ns, unique):
    status, body = await http.post(f"/api/v1/namespaces/{ns}/pods",
                                   pod("p", priorityClassName="no-such-class"))
    assert status == 403 and body["reason"] == "Forbidden"
    assert body["message"] == 'pods "p" is forbidden: no PriorityClass with name no-such-class was found'
    assert body["details"]["causes"][0]["field"] == "spec.priorityClassName"
    status, body = await http.post(f"/api/v1/namespaces/{ns}/pods", pod("p", priority=7))
    assert status == 403 and body["details"]["causes"][0]["field"] == "spec.priority"
    assert "must not be provided in pod spec; priority admission controller computed 0" in body["message"]
    status, body = await http.post(CLASSES, priority_class(f"huge-{unique}", 2_000_000_000))
    assert status == 422 and body["details"]["causes"][0]["field"] == "value"
    status, body = await http.post(CLASSES, priority_class("system-mine", 5))
    assert status == 422 and body["details"]["causes"][0]["field"] == "metadata.name"


async def test_the_global_default_class_applies_to_pods_without_a_class(own_http, unique):
    http = own_http
    ns = f"prio-{unique}"
    await http.ok("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    await http.ok("POST", CLASSES, priority_class("everyday", 50, globalDefault=True, preemptionPolicy="Never"))
    created = await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p"))
    assert created["spec"]["priorityClassName"] == "everyday" and created["spec"]["priority"] == 50
    assert created["spec"]["preemptionPolicy"] == "Never"
    status, body = await http.post(CLASSES, priority_class("another", 60, globalDefault=True))
    assert status == 403
    assert "PriorityClass everyday is already marked as default. Only one default can exist" in body["message"]
    await http.ok("POST", CLASSES, priority_class("another", 60))
    status, body = await http.call("PATCH", f"{CLASSES}/another", {"globalDefault": True},
                                   content_type="application/merge-patch+json")
    assert status == 403
    status, body = await http.call("PATCH", f"{CLASSES}/another", {"value": 61},
                                   content_type="application/merge-patch+json")
    assert status == 422 and body["details"]["causes"][0]["field"] == "value"
