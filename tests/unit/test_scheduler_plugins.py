"""Table-driven tests of each scheduler plugin, on NodeInfo/PodInfo built from plain dicts."""
from __future__ import annotations

from typing import Any

import pytest

from scheduler.framework import Snapshot
from scheduler.nodeinfo import NodeInfo
from scheduler.plugins.balanced_allocation import BalancedAllocation
from scheduler.plugins.image_locality import ImageLocality
from scheduler.plugins.inter_pod_affinity import InterPodAffinity
from scheduler.plugins.node_affinity import NodeAffinity
from scheduler.plugins.node_name import NodeName
from scheduler.plugins.node_ports import NodePorts
from scheduler.plugins.node_ready import NodeReady
from scheduler.plugins.node_resources_fit import NodeResourcesFit
from scheduler.plugins.node_unschedulable import NodeUnschedulable
from scheduler.plugins.pod_topology_spread import PodTopologySpread
from scheduler.plugins.taint_toleration import TaintToleration
from scheduler.podinfo import pod_info


def make_node(name: str = "n1", labels: dict | None = None, cpu: str = "4", memory: str = "8Gi", pods: int = 110,
              taints: list | None = None, unschedulable: bool = False, ready: str | None = "True",
              images: list | None = None) -> NodeInfo:
    status: dict[str, Any] = {"allocatable": {"cpu": cpu, "memory": memory, "pods": str(pods)},
                              "images": images or []}
    if ready is not None:
        status["conditions"] = [{"type": "Ready", "status": ready}]
    return NodeInfo({"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
                     "spec": {"taints": taints or [], "unschedulable": unschedulable}, "status": status})


def make_pod(name: str = "p", labels: dict | None = None, cpu: str | None = None, memory: str | None = None,
             namespace: str = "default", **spec: Any):
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    container = {"name": "c", "image": spec.pop("image", "busybox"), "resources": {"requests": requests}}
    if "ports" in spec:
        container["ports"] = spec.pop("ports")
    return pod_info({"metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
                     "spec": {"containers": [container], **spec}})


def run_filter(plugin, pod, node, nodes=None):
    """PreFilter + Filter as the framework runs them; the reasons, () when the node fits."""
    state: dict = {}
    status = plugin.pre_filter(state, pod, Snapshot(nodes or [node]))
    if status is not None and status.skip:
        return ()
    if status is not None:
        return status.reasons
    result = plugin.filter(state, pod, node)
    return () if result is None else result.reasons


def run_scores(plugin, pod, nodes):
    state: dict = {}
    status = plugin.pre_score(state, pod, nodes, Snapshot(nodes, _image_counts(nodes)))
    if status is not None and status.skip:
        return None
    scores = plugin.score_nodes(state, pod, nodes)
    assert scores == [plugin.score(state, pod, node) for node in nodes]    # batch and one-by-one agree
    plugin.normalize_scores(state, pod, scores)
    return scores


def _image_counts(nodes):
    counts: dict[str, int] = {}
    for node in nodes:
        for image in node.images:
            counts[image] = counts.get(image, 0) + 1
    return counts


TAINT = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}


@pytest.mark.parametrize("taints, tolerations, reasons", [
    ([], [], ()),
    ([TAINT], [], ("node(s) had untolerated taint {dedicated: gpu}",)),
    ([TAINT], [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}], ()),
    ([TAINT], [{"key": "dedicated", "operator": "Equal", "value": "cpu"}],
     ("node(s) had untolerated taint {dedicated: gpu}",)),
    ([TAINT], [{"key": "dedicated", "operator": "Exists"}], ()),
    ([TAINT], [{"operator": "Exists"}], ()),
    ([TAINT], [{"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}],
     ("node(s) had untolerated taint {dedicated: gpu}",)),
    ([{"key": "x", "effect": "NoExecute"}], [], ("node(s) had untolerated taint {x: }",)),
    ([{"key": "x", "effect": "PreferNoSchedule"}], [], ()),
])
def test_taint_toleration_filter(taints, tolerations, reasons):
    assert run_filter(TaintToleration(), make_pod(tolerations=tolerations), make_node(taints=taints)) == reasons


def test_taint_toleration_score_prefers_fewer_intolerable_prefer_no_schedule_taints():
    soft = [{"key": f"k{i}", "effect": "PreferNoSchedule"} for i in range(2)]
    nodes = [make_node("a"), make_node("b", taints=soft[:1]), make_node("c", taints=soft)]
    assert run_scores(TaintToleration(), make_pod(), nodes) == [100, 50, 0]
    tolerant = make_pod(tolerations=[{"operator": "Exists", "effect": "PreferNoSchedule"}])
    assert run_scores(TaintToleration(), tolerant, nodes) == [100, 100, 100]


@pytest.mark.parametrize("unschedulable, tolerations, reasons", [
    (False, [], ()),
    (True, [], ("node(s) were unschedulable",)),
    (True, [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}], ()),
])
def test_node_unschedulable(unschedulable, tolerations, reasons):
    node = make_node(unschedulable=unschedulable)
    assert run_filter(NodeUnschedulable(), make_pod(tolerations=tolerations), node) == reasons


@pytest.mark.parametrize("node_name, reasons", [
    ("", ()), ("n1", ()), ("n2", ("node(s) didn't match the requested node name",)),
])
def test_node_name(node_name, reasons):
    assert run_filter(NodeName(), make_pod(nodeName=node_name), make_node("n1")) == reasons


@pytest.mark.parametrize("ready, taints, reasons", [
    ("True", [], ()),
    (None, [], ()),
    ("False", [], ("node(s) were not ready",)),
    ("Unknown", [], ("node(s) were not ready",)),
    ("False", [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}], ()),   # left to TaintToleration
])
def test_node_ready(ready, taints, reasons):
    assert run_filter(NodeReady(), make_pod(), make_node(ready=ready, taints=taints)) == reasons


def _required(*terms):
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}}


def _expr(key, operator, *values):
    return {"matchExpressions": [{"key": key, "operator": operator, "values": list(values)}]}


AFFINITY_MISS = ("node(s) didn't match Pod's node affinity/selector",)


@pytest.mark.parametrize("spec, reasons", [
    ({}, ()),
    ({"nodeSelector": {"disk": "ssd"}}, ()),
    ({"nodeSelector": {"disk": "hdd"}}, AFFINITY_MISS),
    ({"affinity": _required(_expr("disk", "In", "ssd", "nvme"))}, ()),
    ({"affinity": _required(_expr("disk", "NotIn", "ssd"))}, AFFINITY_MISS),
    ({"affinity": _required(_expr("disk", "Exists"))}, ()),
    ({"affinity": _required(_expr("gpu", "DoesNotExist"))}, ()),
    ({"affinity": _required(_expr("cores", "Gt", "8"))}, ()),
    ({"affinity": _required(_expr("cores", "Lt", "8"))}, AFFINITY_MISS),
    ({"affinity": _required(_expr("gpu", "Exists"), _expr("disk", "In", "ssd"))}, ()),    # terms are ORed
    ({"affinity": _required({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]})}, ()),
    ({"affinity": _required({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]})},
     AFFINITY_MISS),
    ({"affinity": _required({})}, AFFINITY_MISS),
    ({"nodeSelector": {"disk": "ssd"}, "affinity": _required(_expr("gpu", "Exists"))}, AFFINITY_MISS),
])
def test_node_affinity_filter(spec, reasons):
    node = make_node("n1", labels={"disk": "ssd", "cores": "16"})
    assert run_filter(NodeAffinity(), make_pod(**spec), node) == reasons


def test_node_affinity_score_sums_matching_preferred_weights():
    preferred = [{"weight": 80, "preference": _expr("zone", "In", "a")},
                 {"weight": 20, "preference": _expr("disk", "In", "ssd")}]
    pod = make_pod(affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": preferred}})
    nodes = [make_node("a", {"zone": "a", "disk": "ssd"}), make_node("b", {"zone": "a"}), make_node("c")]
    assert run_scores(NodeAffinity(), pod, nodes) == [100, 80, 0]
    assert run_scores(NodeAffinity(), make_pod(), nodes) is None


def _with_pods(node: NodeInfo, *pods) -> NodeInfo:
    for pod in pods:
        node.add_pod(pod)
    return node


@pytest.mark.parametrize("cpu, memory, existing, allowed, reasons", [
    ("1", "1Gi", [], 110, ()),
    ("5", "1Gi", [], 110, ("Insufficient cpu",)),
    ("3", "1Gi", [("2", "1Gi")], 110, ("Insufficient cpu",)),
    ("1", "9Gi", [], 110, ("Insufficient memory",)),
    ("5", "9Gi", [], 110, ("Insufficient cpu", "Insufficient memory")),
    ("1", "1Gi", [("1", "1Gi")], 1, ("Too many pods",)),
    (None, None, [("4", "8Gi")], 110, ()),         # a pod requesting nothing always fits
])
def test_node_resources_fit_filter(cpu, memory, existing, allowed, reasons):
    node = _with_pods(make_node(pods=allowed),
                      *[make_pod(f"e{i}", cpu=c, memory=m) for i, (c, m) in enumerate(existing)])
    assert run_filter(NodeResourcesFit(), make_pod(cpu=cpu, memory=memory), node) == reasons


def test_init_containers_count_as_their_maximum():
    pod = pod_info({"metadata": {"name": "p"}, "spec": {
        "containers": [{"name": "a", "resources": {"requests": {"cpu": "1"}}},
                       {"name": "b", "resources": {"requests": {"cpu": "1"}}}],
        "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "3", "memory": "1Gi"}}}]}})
    assert (pod.requests.milli_cpu, pod.requests.memory) == (3000, 1024 ** 3)


def test_least_allocated_prefers_emptier_nodes():
    busy = _with_pods(make_node("busy"), make_pod("e", cpu="3", memory="6Gi"))
    scores = run_scores(NodeResourcesFit(), make_pod(cpu="1", memory="2Gi"), [make_node("idle"), busy])
    assert scores == [75, 0]


def test_balanced_allocation_prefers_equal_cpu_and_memory_use():
    cpu_heavy = _with_pods(make_node("cpu-heavy"), make_pod("e", cpu="3", memory="0"))
    scores = run_scores(BalancedAllocation(), make_pod(cpu="1", memory="2Gi"), [make_node("idle"), cpu_heavy])
    assert scores == [100, 62]        # fractions (.25, .25) -> 100; (1.0, .25) -> 1 - .375


@pytest.mark.parametrize("wanted, used, reasons", [
    ([], [], ()),
    ([{"containerPort": 80, "hostPort": 8080}], [], ()),
    ([{"containerPort": 80, "hostPort": 8080}], [{"containerPort": 80, "hostPort": 8080}],
     ("node(s) didn't have free ports for the requested pod ports",)),
    ([{"containerPort": 80, "hostPort": 8080, "protocol": "UDP"}], [{"containerPort": 80, "hostPort": 8080}], ()),
    ([{"containerPort": 80, "hostPort": 8080, "hostIP": "10.0.0.1"}],
     [{"containerPort": 80, "hostPort": 8080, "hostIP": "10.0.0.2"}], ()),
    ([{"containerPort": 80, "hostPort": 8080, "hostIP": "10.0.0.1"}], [{"containerPort": 80, "hostPort": 8080}],
     ("node(s) didn't have free ports for the requested pod ports",)),
])
def test_node_ports(wanted, used, reasons):
    node = _with_pods(make_node(), make_pod("e", ports=used))
    assert run_filter(NodePorts(), make_pod(ports=wanted), node) == reasons


def _pod_affinity(kind: str, labels: dict, key: str = "kubernetes.io/hostname") -> dict:
    return {kind: {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": labels}, "topologyKey": key}]}}


def test_inter_pod_anti_affinity_keeps_replicas_apart():
    web = {"app": "web"}
    anti = _pod_affinity("podAntiAffinity", web)
    n1 = _with_pods(make_node("n1", {"zone": "a"}), make_pod("w1", labels=web, affinity=anti))
    n2 = make_node("n2", {"zone": "a"})
    pod = make_pod("w2", labels=web, affinity=anti)
    assert run_filter(InterPodAffinity(), pod, n1, [n1, n2]) == ("node(s) didn't match pod anti-affinity rules",)
    assert run_filter(InterPodAffinity(), pod, n2, [n1, n2]) == ()
    # the existing pod's anti-affinity also protects it from a pod without any terms
    assert run_filter(InterPodAffinity(), make_pod("x", labels=web), n1, [n1, n2]) == \
        ("node(s) didn't satisfy existing pods anti-affinity rules",)
    zone_anti = make_pod("w3", labels=web, affinity=_pod_affinity("podAntiAffinity", web, "zone"))
    assert run_filter(InterPodAffinity(), zone_anti, n2, [n1, n2]) == ("node(s) didn't match pod anti-affinity rules",)


def test_inter_pod_affinity_needs_a_matching_pod_in_the_domain():
    db = {"app": "db"}
    n1 = _with_pods(make_node("n1", {"zone": "a"}), make_pod("db", labels=db))
    n2, n3 = make_node("n2", {"zone": "a"}), make_node("n3", {"zone": "b"})
    pod = make_pod("web", affinity=_pod_affinity("podAffinity", db, "zone"))
    nodes = [n1, n2, n3]
    assert run_filter(InterPodAffinity(), pod, n2, nodes) == ()
    assert run_filter(InterPodAffinity(), pod, n3, nodes) == ("node(s) didn't match pod affinity rules",)
    # the first pod of a group that matches its own term may go anywhere
    first = make_pod("first", labels={"app": "cache"}, affinity=_pod_affinity("podAffinity", {"app": "cache"}))
    assert run_filter(InterPodAffinity(), first, n3, nodes) == ()


def test_inter_pod_preferred_affinity_score():
    db = {"app": "db"}
    n1 = _with_pods(make_node("n1"), make_pod("db", labels=db))
    preferred = {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 10, "podAffinityTerm": {"labelSelector": {"matchLabels": db},
                                           "topologyKey": "kubernetes.io/hostname"}}]}}
    assert run_scores(InterPodAffinity(), make_pod(affinity=preferred), [n1, make_node("n2")]) == [100, 0]


def _spread(max_skew: int, when: str = "DoNotSchedule", key: str = "zone") -> list:
    return [{"maxSkew": max_skew, "topologyKey": key, "whenUnsatisfiable": when,
             "labelSelector": {"matchLabels": {"app": "web"}}}]


@pytest.mark.parametrize("max_skew, node, reasons", [
    (1, "a1", ("node(s) didn't match pod topology spread constraints",)),    # zone a: 1 + 1 - 0 > 1
    (1, "b1", ()),
    (2, "a1", ()),
    (1, "none", ("node(s) didn't match pod topology spread constraints (missing required label)",)),
])
def test_pod_topology_spread_filter(max_skew, node, reasons):
    web = {"app": "web"}
    nodes = {"a1": _with_pods(make_node("a1", {"zone": "a"}), make_pod("w1", labels=web)),
             "b1": make_node("b1", {"zone": "b"}), "none": make_node("none")}
    pod = make_pod("w2", labels=web, topologySpreadConstraints=_spread(max_skew))
    assert run_filter(PodTopologySpread(), pod, nodes[node], list(nodes.values())) == reasons


def test_pod_topology_spread_score_prefers_emptier_domains():
    web = {"app": "web"}
    nodes = [_with_pods(make_node("a1", {"zone": "a"}), make_pod("w1", labels=web), make_pod("w2", labels=web)),
             make_node("b1", {"zone": "b"})]
    scores = run_scores(PodTopologySpread(),
                        make_pod(labels=web, topologySpreadConstraints=_spread(1, "ScheduleAnyway")), nodes)
    assert scores[1] > scores[0]


def test_image_locality_prefers_nodes_with_the_image():
    big = [{"names": ["registry/app:1"], "sizeBytes": 500 * 1024 * 1024}]
    nodes = [make_node("has", images=big), make_node("lacks")]
    scores = run_scores(ImageLocality(), make_pod(image="registry/app:1"), nodes)
    assert scores[0] > scores[1] == 0
    assert run_scores(ImageLocality(), make_pod(image="other"), nodes) is None
