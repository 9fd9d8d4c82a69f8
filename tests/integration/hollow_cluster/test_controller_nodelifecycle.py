"""Node lifecycle and taint eviction end to end (controllers/node_lifecycle.py,
controllers/taint_eviction.py): two hollow node agents and the scheduler as real
processes, the controllers in-process with a short grace period and a high eviction
rate. One agent is stopped: its node goes Unknown, is tainted, the pods that do not
tolerate that long are evicted (and, the agent being gone, force-deleted after their
grace) and replaced on the other node; the agent comes back and the taints go.

These tests use a private API server (own etcd prefix): nodes and pods other tests left
behind in the shared one would be monitored, tainted and evicted too, and compete for
the eviction rate limit (the fixtures api, ns and lab are in ./conftest.py)."""
from __future__ import annotations

import pytest

from controllers.config import ControllerManagerConfiguration, NodeLifecycleControllerConfiguration
from minikube_py.testing import eventually
from tests.controller_harness import controllers_running, pods_of

UNREACHABLE = "node.kubernetes.io/unreachable"
FAST = ControllerManagerConfiguration(node_lifecycle=NodeLifecycleControllerConfiguration(
    node_monitor_grace_period=3.0, node_monitor_period=0.5, node_eviction_rate=100.0))


@pytest.fixture
async def controllers(private_apiserver):
    async with controllers_running(private_apiserver.url, ["nodelifecycle", "tainteviction", "replicaset"],
                                   FAST) as run:
        yield run


def short_tolerations(seconds: int) -> list[dict]:
    return [{"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": seconds}
            for key in (UNREACHABLE, "node.kubernetes.io/not-ready")]


async def test_dead_node_is_tainted_its_pods_move_and_it_recovers(api, ns, unique, lab, controllers):
    nodes = api.resource("nodes")
    victim, survivor = f"victim-{unique}", f"survivor-{unique}"
    victim_agent = lab(victim)

    async def ready(name: str):
        try:
            node = await nodes.get(name)
        except Exception:
            return None
        conditions = {c["type"]: c["status"] for c in node.get("status", {}).get("conditions") or []}
        taints = [t for t in node.get("spec", {}).get("taints") or [] if t["key"].startswith("node.kubernetes.io/")]
        return node if conditions.get("Ready") == "True" and not taints else None
    await eventually(lambda: ready(victim), "the victim node Ready")

    labels = {"app": f"mover-{unique}"}
    template_spec = {"containers": [{"name": "app", "image": "minikube-py/busybox:latest"}],
                     "nodeSelector": {"lab": unique}, "tolerations": short_tolerations(1),
                     "terminationGracePeriodSeconds": 1}
    await api.resource("replicasets", ns).create({
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "mover"},
        "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": template_spec}}})
    await api.resource("pods", ns).create({      # the API server gives it the default 300 s tolerations
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "patient"},
        "spec": {"nodeName": victim, "containers": [{"name": "app", "image": "minikube-py/busybox:latest"}]}})

    async def placed(node_name: str, count: int):
        pods = await pods_of(api, ns, f"app=mover-{unique}")
        on_node = [p for p in pods if p["spec"].get("nodeName") == node_name
                   and p.get("status", {}).get("phase") == "Running"]
        return on_node if len(on_node) == count and len(pods) == count else None
    first = await eventually(lambda: placed(victim, 2), "both replicas running on the victim")
    lab(survivor)
    await eventually(lambda: ready(survivor), "the survivor node Ready")

    victim_agent.stop()                                          # the lease stops being renewed

    async def unreachable():
        node = await nodes.get(victim)
        conditions = {c["type"]: c for c in node["status"]["conditions"]}
        taints = {(t["key"], t["effect"]) for t in node["spec"].get("taints") or []}
        if conditions["Ready"]["status"] == "Unknown" and {(UNREACHABLE, "NoExecute"),
                                                          (UNREACHABLE, "NoSchedule")} <= taints:
            return conditions
    conditions = await eventually(unreachable, "the victim Unknown and tainted unreachable")
    assert conditions["Ready"]["reason"] == "NodeStatusUnknown"
    assert conditions["Ready"]["message"] == "Kubelet stopped posting node status."
    assert all(conditions[k]["status"] == "Unknown" for k in ("MemoryPressure", "DiskPressure", "PIDPressure"))

    await eventually(lambda: placed(survivor, 2), "the replicas replaced on the survivor")
    first_names = {p["metadata"]["name"] for p in first}

    async def old_pods_gone():
        items, _ = await api.resource("pods", ns).list_all()
        return not first_names & {p["metadata"]["name"] for p in items}
    await eventually(old_pods_gone, "the evicted pods force-deleted from the unreachable node")
    patient = await api.resource("pods", ns).get("patient")
    assert not patient["metadata"].get("deletionTimestamp")      # tolerates 300 s: still there

    events, _ = await api.resource("events", ns).list_all()
    evicted = {e["involvedObject"]["name"] for e in events if e["reason"] == "TaintManagerEviction"}
    assert first_names <= evicted and "patient" not in evicted
    node_events, _ = await api.resource("events", "default").list_all()
    assert any(e["reason"] == "NodeNotReady" and e["involvedObject"]["name"] == victim for e in node_events)

    lab(victim)                                                   # the agent comes back
    await eventually(lambda: ready(victim), "the victim Ready again and untainted")
