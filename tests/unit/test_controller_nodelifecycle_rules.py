"""Node lifecycle and taint eviction rules as pure functions (controllers/node_lifecycle.py,
controllers/taint_eviction.py)."""
from __future__ import annotations

from controllers.node_lifecycle import all_unknown, desired_taints, merge_taints, unknown_conditions
from controllers.taint_eviction import NEVER, eviction_time
from minikube_py.api.taints import NOT_READY, UNREACHABLE

STAMP = "2024-01-01T00:00:00Z"


def node(ready: str | None = "True", **spec) -> dict:
    conditions = [{"type": "Ready", "status": ready, "lastHeartbeatTime": STAMP}] if ready else []
    return {"spec": spec, "status": {"conditions": conditions}}


def test_taints_follow_ready_and_pressure_conditions():
    assert desired_taints(node("True")) == set()
    assert desired_taints(node("False")) == {(NOT_READY, "NoSchedule"), (NOT_READY, "NoExecute")}
    assert desired_taints(node("Unknown")) == {(UNREACHABLE, "NoSchedule"), (UNREACHABLE, "NoExecute")}
    pressured = node("True", unschedulable=True)
    pressured["status"]["conditions"].append({"type": "DiskPressure", "status": "True"})
    assert desired_taints(pressured) == {("node.kubernetes.io/disk-pressure", "NoSchedule"),
                                         ("node.kubernetes.io/unschedulable", "NoSchedule")}


def test_merge_taints_keeps_foreign_taints_and_time_added():
    current = [{"key": "dedicated", "value": "db", "effect": "NoSchedule"},
               {"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": "old"},
               {"key": NOT_READY, "effect": "NoSchedule"}]
    wanted = {(UNREACHABLE, "NoExecute"), (UNREACHABLE, "NoSchedule")}
    merged = merge_taints(current, wanted, STAMP)
    assert merged == [current[0], current[1], {"key": UNREACHABLE, "effect": "NoSchedule"}]
    assert merge_taints(merged, set(), STAMP) == [current[0]]


def test_unknown_conditions_keep_heartbeat_and_add_missing_ones():
    result = {c["type"]: c for c in unknown_conditions(node("True"), "2024-02-02T00:00:00Z")}
    assert set(result) == {"Ready", "MemoryPressure", "DiskPressure", "PIDPressure"}
    assert all(c["status"] == "Unknown" and c["reason"] == "NodeStatusUnknown"
               and c["message"] == "Kubelet stopped posting node status." for c in result.values())
    assert result["Ready"]["lastHeartbeatTime"] == STAMP
    assert result["Ready"]["lastTransitionTime"] == "2024-02-02T00:00:00Z"
    assert all_unknown({"status": {"conditions": list(result.values())}})
    assert not all_unknown(node("Unknown"))


def test_each_pod_honours_its_own_tolerations():
    taints = [{"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": STAMP}]
    added = 1704067200.0                                   # STAMP as epoch seconds
    assert eviction_time({"spec": {}}, taints) == 0.0      # not tolerated: at once
    short = {"spec": {"tolerations": [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute",
                                       "tolerationSeconds": 2}]}}
    assert eviction_time(short, taints) == added + 2
    both = {"spec": {"tolerations": [*short["spec"]["tolerations"],
                                     {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60}]}}
    assert eviction_time(both, taints) == added + 2        # the smallest applicable limit wins
    forever = {"spec": {"tolerations": [{"operator": "Exists"}]}}
    assert eviction_time(forever, taints) == NEVER
