"""The Endpoints and Namespace controllers against a real API server."""
from __future__ import annotations

from typing import Any

from minikube_py.api.errors import ApiError
from minikube_py.testing import eventually
from tests.controller_harness import mark_ready, template


def service(name: str, selector: dict | None, target_port: int | str = "http") -> dict:
    spec: dict[str, Any] = {"ports": [{"name": "web", "port": 80, "targetPort": target_port}]}
    if selector:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def pod(name: str, labels: dict, container_port: int) -> dict:
    spec = template(labels, ports=[{"name": "http", "containerPort": container_port}])["spec"]
    spec["nodeName"] = "node-1"
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels}, "spec": spec}


async def test_endpoints_follow_readiness_named_ports_and_deletion(api, manager, ns):
    pods, endpoints = api.resource("pods", ns), api.resource("endpoints", ns)
    a = await pods.create(pod("a", {"app": "web"}, 8080))
    b = await pods.create(pod("b", {"app": "web"}, 9090))
    await api.resource("services", ns).create(service("web", {"app": "web"}))
    await mark_ready(api, ns, a, "10.244.1.10")
    await mark_ready(api, ns, b, "10.244.1.11", ready=False)

    async def subsets():
        try:
            return (await endpoints.get("web")).get("subsets")
        except ApiError:
            return None
    found = await eventually(lambda: _when(subsets, lambda s: s and len(s) == 2), "two subsets (8080, 9090)")
    by_port = {s["ports"][0]["port"]: s for s in found}
    assert [x["ip"] for x in by_port[8080]["addresses"]] == ["10.244.1.10"]
    assert by_port[8080]["addresses"][0]["nodeName"] == "node-1"
    assert by_port[8080]["addresses"][0]["targetRef"]["name"] == "a"
    assert [x["ip"] for x in by_port[9090]["notReadyAddresses"]] == ["10.244.1.11"]

    await mark_ready(api, ns, b, "10.244.1.11", ready=True)
    await eventually(lambda: _when(subsets, lambda s: s and all("addresses" in x for x in s)), "b ready")
    await pods.delete("a", grace_period_seconds=30)       # on a node: graceful, deletionTimestamp set
    await eventually(lambda: _when(subsets, lambda s: s and len(s) == 1 and s[0]["ports"][0]["port"] == 9090),
                     "the terminating pod dropped at once")

    await api.resource("services", ns).create(service("manual", None, 80))
    await endpoints.create({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "manual"},
                            "subsets": [{"addresses": [{"ip": "192.168.56.99"}], "ports": [{"port": 80}]}]})
    await api.resource("services", ns).delete("web")

    async def web_gone():
        try:
            await endpoints.get("web")
        except ApiError as e:
            return e.reason == "NotFound"
    await eventually(web_gone, "endpoints deleted with the service")
    manual = await endpoints.get("manual")
    assert manual["subsets"][0]["addresses"][0]["ip"] == "192.168.56.99"      # left alone


async def test_namespace_deletion_empties_every_type_then_finalizes(api, manager, unique):
    name = f"gone-{unique}"
    await api.resource("namespaces").create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    await api.resource("configmaps", name).create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    await api.resource("secrets", name).create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}})
    await api.resource("services", name).create(service("svc", {"app": "x"}))
    await api.resource("pods", name).create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                                             "spec": template({})["spec"]})
    await api.resource("replicasets", name).create(
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs"},
         "spec": {"replicas": 0, "selector": {"matchLabels": {"a": "b"}}, "template": template({"a": "b"})}})
    await api.resource("namespaces").delete(name)
    await eventually(lambda: _missing(api.resource("namespaces"), name), "the namespace to disappear")


async def test_stuck_namespace_explains_itself(api, manager, unique):
    name = f"stuck-{unique}"
    namespaces = api.resource("namespaces")
    await namespaces.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    cms = api.resource("configmaps", name)
    await cms.create({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": "held", "finalizers": ["example.com/hold"]}})
    await namespaces.delete(name)

    async def conditions():
        ns_obj = await namespaces.get(name)
        return {c["type"]: c for c in (ns_obj.get("status") or {}).get("conditions") or []}
    found = await eventually(lambda: _when(conditions, lambda c: c.get("NamespaceFinalizersRemaining", {})
                                           .get("status") == "True"), "finalizer conditions")
    assert found["NamespaceContentRemaining"]["message"] == \
        "Some resources are remaining: configmaps. has 1 resource instances"
    assert "example.com/hold in 1 resource instances" in found["NamespaceFinalizersRemaining"]["message"]
    assert found["NamespaceDeletionContentFailure"]["status"] == "False"
    await cms.patch("held", {"metadata": {"finalizers": None}})
    await eventually(lambda: _missing(namespaces, name), "the namespace to go once unblocked")


async def _when(fetch, predicate):
    value = await fetch()
    return value if predicate(value) else None


async def _missing(client, name):
    try:
        await client.get(name)
    except ApiError as e:
        return e.reason == "NotFound"
    return False
