"""The DaemonSet controller end to end (controllers/daemonset.py): hollow node agents and
the scheduler as real processes. One pod per matching node, bound by the scheduler
through node affinity; a node joining gets one, a node leaving or no longer matching
loses it; a tainted node gets none; a rolling update replaces the pods with at most
maxUnavailable nodes without an available pod at any observed moment. The private API server,
its client and namespace, and the agents + scheduler (fixtures api, ns, lab) are in ./conftest.py."""
from __future__ import annotations

import pytest

from minikube_py.testing import eventually
from tests.controller_harness import controllers_running


@pytest.fixture
async def daemon_controller(private_apiserver):
    async with controllers_running(private_apiserver.url, ["daemonset"]) as run:
        yield run


def daemon_set(name: str, unique: str) -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": labels},
                     "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
                     "template": {"metadata": {"labels": labels}, "spec": {
                         "nodeSelector": {"lab": unique}, "terminationGracePeriodSeconds": 0,
                         "containers": [{"name": "agent", "image": "minikube-py/busybox:latest"}]}}}}


async def running_by_node(api, ns: str) -> dict[str, list[dict]]:
    items, _ = await api.resource("pods", ns).list_all(label_selector="app=logs")
    by_node: dict[str, list[dict]] = {}
    for pod in items:
        if not pod["metadata"].get("deletionTimestamp"):
            by_node.setdefault(pod["spec"].get("nodeName") or "", []).append(pod)
    return by_node


def is_ready(pod: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions") or [])


async def test_one_pod_per_node_through_join_leave_taint_relabel_and_a_rolling_update(
        api, ns, unique, lab, daemon_controller):
    nodes, dss = api.resource("nodes"), api.resource("daemonsets", ns)
    lab(f"ds-{unique}")                                      # hollow nodes come one agent per node here
    second = lab(f"ds2-{unique}")
    names = [f"ds-{unique}", f"ds2-{unique}"]
    await dss.create(daemon_set("logs", unique))

    async def on_exactly(expected: set[str], ready: bool = True):
        by_node = await running_by_node(api, ns)
        if set(by_node) != expected or any(len(p) != 1 or (ready and not is_ready(p[0])) for p in by_node.values()):
            return None
        return by_node
    pods = await eventually(lambda: on_exactly(set(names)), "a ready daemon pod on each node")
    pod = next(iter(pods.values()))[0]
    terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"][0]["matchFields"][0]["values"] == [pod["spec"]["nodeName"]]
    assert pod["metadata"]["labels"]["controller-revision-hash"]

    async def status(**expected):
        ds = await dss.get("logs")
        got = ds.get("status") or {}
        return ds if all(got.get(k) == v for k, v in expected.items()) else None
    await eventually(lambda: status(desiredNumberScheduled=2, currentNumberScheduled=2, numberReady=2,
                                    updatedNumberScheduled=2, numberAvailable=2, numberMisscheduled=0),
                     "status for two nodes")

    joiner = f"ds3-{unique}"
    lab(joiner)                                                 # a node joins
    await eventually(lambda: on_exactly({*names, joiner}), "a pod on the joining node")

    await nodes.patch(joiner, {"spec": {"taints": [{"key": "dedicated", "value": "x", "effect": "NoExecute"}]}})
    await eventually(lambda: on_exactly(set(names)), "the pod gone from the NoExecute-tainted node")

    await nodes.patch(names[0], {"metadata": {"labels": {"lab": "elsewhere"}}})
    await eventually(lambda: on_exactly({names[1]}), "the pod gone from the node that stopped matching")
    await nodes.patch(names[0], {"metadata": {"labels": {"lab": unique}}})
    await eventually(lambda: on_exactly(set(names)), "the pod back on the node that matches again")

    old_hash = (await running_by_node(api, ns))[names[0]][0]["metadata"]["labels"]["controller-revision-hash"]
    await dss.patch("logs", {"spec": {"template": {"spec": {"containers": [
        {"name": "agent", "image": "minikube-py/busybox:latest", "env": [{"name": "V", "value": "2"}]}]}}}})

    async def rolled_out():
        by_node = await running_by_node(api, ns)
        available = sum(1 for pods in by_node.values() if any(is_ready(p) for p in pods))
        assert available >= len(names) - 1, f"more than maxUnavailable nodes down: {by_node}"
        hashes = {p["metadata"]["labels"]["controller-revision-hash"] for pods in by_node.values() for p in pods}
        return available == len(names) and old_hash not in hashes and len(by_node) == 2
    await eventually(rolled_out, "the rolling update to finish")
    await eventually(lambda: status(updatedNumberScheduled=2, numberReady=2), "status after the update")

    second.stop()                                               # a node leaves
    await nodes.delete(names[1])
    await eventually(lambda: on_exactly({names[0]}), "the pod of the deleted node removed")
    events, _ = await api.resource("events", ns).list_all()
    assert {"SuccessfulCreate", "SuccessfulDelete"} <= {e["reason"] for e in events}
