"""DaemonSet placement and rolling-update rules (controllers/daemonset_util.py)."""
from __future__ import annotations

from controllers.daemonset_util import (
    HASH_LABEL,
    compute_status,
    new_pod,
    rolling_update_victims,
    should_run,
    target_node,
)


def ds(**template_spec) -> dict:
    return {"metadata": {"name": "d", "namespace": "n", "uid": "u1", "generation": 3}, "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "spec": {"selector": {"matchLabels": {"a": "b"}},
                     "template": {"metadata": {"labels": {"a": "b"}},
                                  "spec": {"containers": [{"name": "c", "image": "i"}], **template_spec}}}}


def node(name: str, labels: dict | None = None, taints: list | None = None) -> dict:
    return {"metadata": {"name": name, "labels": labels or {}}, "spec": {"taints": taints or []}}


def pod(name: str, node_name: str, revision: str, ready: bool = True) -> dict:
    conditions = [{"type": "Ready", "status": "True" if ready else "False"}]
    return {"metadata": {"name": name, "labels": {HASH_LABEL: revision}}, "spec": {"nodeName": node_name},
            "status": {"phase": "Running", "conditions": conditions}}


def test_selector_affinity_and_taints_decide_placement():
    assert should_run(ds(), node("a")) == (True, True)
    assert should_run(ds(nodeSelector={"disk": "ssd"}), node("a")) == (False, False)
    assert should_run(ds(nodeSelector={"disk": "ssd"}), node("a", {"disk": "ssd"})) == (True, True)
    no_schedule = [{"key": "k", "effect": "NoSchedule"}]
    assert should_run(ds(), node("a", taints=no_schedule)) == (False, True)      # keeps what runs
    assert should_run(ds(), node("a", taints=[{"key": "k", "effect": "NoExecute"}])) == (False, False)
    assert should_run(ds(tolerations=[{"operator": "Exists"}]), node("a", taints=no_schedule)) == (True, True)
    unreachable = [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}]
    assert should_run(ds(), node("a", taints=unreachable)) == (True, True)        # daemon tolerations


def test_new_pod_targets_its_node_by_affinity_and_is_owned():
    created = new_pod(ds(), "node-7", "h1")
    assert target_node(created) == "node-7" and "nodeName" not in created["spec"]
    assert created["metadata"]["labels"] == {"a": "b", HASH_LABEL: "h1"}
    assert created["metadata"]["ownerReferences"][0]["uid"] == "u1"


def test_rolling_update_respects_max_unavailable():
    by_node = {n: [pod(f"p-{n}", n, "old")] for n in ("a", "b", "c")}
    assert len(rolling_update_victims(ds(), by_node, "new", 3)) == 1
    by_node["a"] = [pod("p-a2", "a", "new", ready=False)]                        # one node already down
    assert rolling_update_victims(ds(), by_node, "new", 3) == []
    del by_node["a"]                                                              # a node without a pod
    assert rolling_update_victims(ds(), by_node, "new", 3, missing=1) == []
    by_node["b"] = [pod("p-b", "b", "old", ready=False)]                         # unavailable old: always
    assert [p["metadata"]["name"] for p in rolling_update_victims(ds(), by_node, "new", 3)] == ["p-b"]


def test_status_counts():
    nodes = [node("a", {"x": "1"}), node("b", {"x": "1"}), node("c")]
    by_node = {"a": [pod("p1", "a", "h")], "c": [pod("p2", "c", "old", ready=False)]}
    status = compute_status(ds(nodeSelector={"x": "1"}), nodes, by_node, "h")
    assert status == {"desiredNumberScheduled": 2, "currentNumberScheduled": 1, "numberMisscheduled": 1,
                      "numberReady": 1, "updatedNumberScheduled": 1, "numberAvailable": 1,
                      "numberUnavailable": 1, "observedGeneration": 3}
