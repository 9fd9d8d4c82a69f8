"""The shortcuts that keep a scheduling decision cheap must not change it: PreFilter/PreScore
Skip for pods that ask for nothing a plugin checks, and filters that only look at a node's
restrictions (cordon, NoSchedule/NoExecute taints, not Ready) run on restricted nodes only."""
from __future__ import annotations

import random

import pytest

from scheduler.algorithm import Algorithm
from scheduler.config import SchedulerConfig
from scheduler.framework import Framework, Snapshot
from scheduler.plugins.image_locality import ImageLocality
from scheduler.plugins.inter_pod_affinity import InterPodAffinity
from scheduler.plugins.node_affinity import NodeAffinity
from scheduler.plugins.node_name import NodeName
from scheduler.plugins.node_ports import NodePorts
from scheduler.plugins.node_ready import NodeReady
from scheduler.plugins.node_unschedulable import NodeUnschedulable
from scheduler.plugins.pod_topology_spread import PodTopologySpread
from scheduler.plugins.taint_toleration import TaintToleration
from tests.unit.test_scheduler_plugins import make_node, make_pod

SPREAD = [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
           "labelSelector": {"matchLabels": {"app": "web"}}}]
ANTI = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
    {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "kubernetes.io/hostname"}]}}
PREFERRED = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
    {"weight": 1, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}}]}}


@pytest.mark.parametrize("plugin, needs_it", [
    (NodeName(), {"nodeName": "n1"}),
    (NodePorts(), {"ports": [{"containerPort": 80, "hostPort": 8080}]}),
    (NodeAffinity(), {"nodeSelector": {"zone": "a"}}),
    (PodTopologySpread(), {"topologySpreadConstraints": SPREAD}),
    (InterPodAffinity(), {"affinity": ANTI}),
])
def test_pre_filter_skips_a_plugin_the_pod_has_nothing_for(plugin, needs_it):
    snapshot = Snapshot([make_node("n1", {"zone": "a"})])
    status = plugin.pre_filter({}, make_pod(), snapshot)
    assert status is not None and status.skip
    assert plugin.pre_filter({}, make_pod(labels={"app": "web"}, **needs_it), snapshot) is None


@pytest.mark.parametrize("plugin, needs_it", [
    (NodeAffinity(), {"affinity": PREFERRED}),
    (PodTopologySpread(), {"topologySpreadConstraints": [{**SPREAD[0], "whenUnsatisfiable": "ScheduleAnyway"}]}),
    (ImageLocality(), {"image": "registry/app:1"}),
])
def test_pre_score_skips_a_plugin_the_pod_has_nothing_for(plugin, needs_it):
    nodes = [make_node("n1", {"zone": "a"}, images=[{"names": ["registry/app:1"], "sizeBytes": 10 ** 9}]),
             make_node("n2", {"zone": "b"})]
    snapshot = Snapshot(nodes, {"registry/app:1:latest": 1, "registry/app:1": 1})
    status = plugin.pre_score({}, make_pod(image="other"), nodes, snapshot)
    assert status is not None and status.skip
    assert plugin.pre_score({}, make_pod(labels={"app": "web"}, **needs_it), nodes, snapshot) is None


@pytest.mark.parametrize("node, restricted", [
    (make_node(), False),
    (make_node(ready=None), False),
    (make_node(taints=[{"key": "soft", "effect": "PreferNoSchedule"}]), False),
    (make_node(unschedulable=True), True),
    (make_node(ready="False"), True),
    (make_node(ready="Unknown"), True),
    (make_node(taints=[{"key": "k", "effect": "NoSchedule"}]), True),
    (make_node(taints=[{"key": "k", "effect": "NoExecute"}]), True),
])
def test_a_node_is_restricted_when_a_node_only_filter_could_reject_it(node, restricted):
    assert node.restricted is restricted
    for plugin in (NodeUnschedulable(), NodeReady(), TaintToleration()):
        assert plugin.rejects_only_restricted_nodes
        if not restricted:
            assert plugin.filter({}, make_pod(), node) is None


def test_restriction_filters_run_on_restricted_nodes_only():
    class Spy(NodeReady):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[str] = []

        def filter(self, state, pod, node):
            self.seen.append(node.name)
            return super().filter(state, pod, node)
    spy = Spy()
    nodes = [make_node("plain"), make_node("not-ready", ready="False"), make_node("cordoned", unschedulable=True)]
    framework = Framework([spy, *SchedulerConfig().build_framework().filters], [])
    decision = Algorithm(framework, rng=random.Random(1)).schedule(make_pod(), Snapshot(nodes))
    assert spy.seen == ["not-ready", "cordoned"]
    assert decision.node == "plain"
    assert {name: status.reasons for name, status in decision.rejected.items()} == {
        "not-ready": ("node(s) were not ready",), "cordoned": ("node(s) were unschedulable",)}


def test_node_update_recomputes_restricted():
    node = make_node("n1")
    node.set_node({"metadata": {"name": "n1"}, "spec": {"unschedulable": True}, "status": {}})
    assert node.restricted
    node.set_node({"metadata": {"name": "n1"}, "spec": {}, "status": {}})
    assert not node.restricted


def test_node_resources_fit_fast_path_agrees_with_the_full_check():
    from scheduler.plugins.node_resources_fit import NodeResourcesFit, insufficient_resources
    nodes = [make_node("empty"), make_node("one-slot", pods=1), make_node("small", cpu="500m", memory="256Mi")]
    for i, node in enumerate(nodes[1:]):
        node.add_pod(make_pod(f"e{i}", cpu="400m", memory="200Mi"))
    gpu = make_pod("gpu", cpu="100m")
    gpu.requests.scalar["example.com/gpu"] = 1
    plugin = NodeResourcesFit()
    for pod in (make_pod("none"), make_pod("cpu", cpu="200m"), make_pod("mem", memory="100Mi"), gpu):
        state: dict = {}
        assert plugin.pre_filter(state, pod, Snapshot(nodes)) is None
        verdicts = plugin.filter_nodes(state, pod, nodes)
        assert [() if v is None else v.reasons for v in verdicts] == \
            [tuple(insufficient_resources(pod, node)) for node in nodes]
    assert [() if v is None else v.reasons for v in plugin.filter_nodes(state, gpu, nodes)] == [
        ("Insufficient example.com/gpu",), ("Too many pods", "Insufficient example.com/gpu"),
        ("Insufficient example.com/gpu",)]
