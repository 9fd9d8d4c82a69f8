"""In-process micro benchmark of the taint/toleration and node-affinity rules
(minikube_py/api/taints.py, nodeaffinity.py) as the scheduler runs them: PreFilter, Filter,
PreScore and Score of TaintToleration, NodeAffinity and NodeUnschedulable for one pod with
tolerations and node affinity over 1,000 tainted, labelled nodes, 150 times. Prints how
many (pod, node) filter passes succeeded, so two versions can be checked to agree.

Time it from outside, paired against another checkout, e.g.
    farm-bench -n 6 --vs "sh -c 'cd OTHER && exec .venv/bin/python bench/taint_affinity_bench.py'" \
        -- .venv/bin/python bench/taint_affinity_bench.py
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scheduler.framework import Snapshot
from scheduler.nodeinfo import NodeInfo
from scheduler.plugins.node_affinity import NodeAffinity
from scheduler.plugins.node_unschedulable import NodeUnschedulable
from scheduler.plugins.taint_toleration import TaintToleration
from scheduler.podinfo import pod_info

nodes = [NodeInfo({"metadata": {"name": f"n{i}", "labels": {"zone": f"z{i % 3}", "disk": "ssd" if i % 2 else "hdd"}},
                   "spec": {"unschedulable": i % 7 == 0, "taints": [
                       {"key": "dedicated", "value": f"t{i % 4}", "effect": "NoSchedule"},
                       {"key": "soft", "effect": "PreferNoSchedule"},
                       {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"} if i % 5 == 0 else
                       {"key": "x", "effect": "PreferNoSchedule"}]},
                   "status": {"allocatable": {"cpu": "4", "memory": "32Gi", "pods": "110"}}}) for i in range(1000)]
pod = pod_info({"metadata": {"name": "p", "namespace": "default", "uid": "u"}, "spec": {
    "containers": [{"name": "c", "image": "i"}],
    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "t1"}, {"key": "soft", "operator": "Exists"},
                    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                     "tolerationSeconds": 300}],
    "affinity": {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z0", "z1"]}]}]},
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 10, "preference": {"matchExpressions": [
                {"key": "disk", "operator": "In", "values": ["ssd"]}]}}]}}}})
taint, affinity, unschedulable = TaintToleration(), NodeAffinity(), NodeUnschedulable()
snapshot = Snapshot(nodes)
passed = 0
for _ in range(150):
    state: dict = {}
    affinity.pre_filter(state, pod, snapshot)
    for node in nodes:
        if taint.filter(state, pod, node) is None and affinity.filter(state, pod, node) is None \
                and unschedulable.filter(state, pod, node) is None:
            passed += 1
    taint.pre_score(state, pod, nodes, snapshot)
    taint.score_nodes(state, pod, nodes)
    affinity.pre_score(state, pod, nodes, snapshot)
    sum(affinity.score(state, pod, node) for node in nodes)
print(passed)
