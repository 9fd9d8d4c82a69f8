"""PodTopologySpread's default constraints (defaultingType System/List) and the workload selector
they spread by (scheduler/workloads.py), table-driven on plain dicts."""
from __future__ import annotations

import math

import pytest

from scheduler.framework import Snapshot
from scheduler.plugins.pod_topology_spread import PodTopologySpread
from scheduler.workloads import Workloads
from tests.unit.test_scheduler_plugins import make_node, make_pod

WEB = {"app": "web"}
RS_REF = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": "u1", "controller": True}
REPLICA_SETS = {
    "web-1": {"spec": {"selector": {"matchLabels": WEB, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["front"]}]}}},
    "broken": {"spec": {"selector": {"matchExpressions": [{"key": "x", "operator": "Bogus"}]}}},
    "no-selector": {"spec": {}},
}


def workloads(*services: dict) -> Workloads:
    def controller(kind: str, namespace: str, name: str):
        return REPLICA_SETS.get(name) if kind == "ReplicaSet" and namespace == "default" else None
    return Workloads(lambda namespace: [s for s in services if s.get("ns", "default") == namespace], controller)


def service(selector: dict | None, ns: str = "default") -> dict:
    return {"ns": ns, "spec": {"selector": selector}}


def owned_pod(labels: dict, *refs: dict, name: str = "p"):
    pod = make_pod(name, labels)
    pod.obj["metadata"]["ownerReferences"] = list(refs)
    return pod


@pytest.mark.parametrize("services, labels, refs, selector", [
    ([], WEB, [], ""),                                                          # belongs to nothing
    ([service(WEB)], WEB, [], "app=web"),
    ([service({"app": "db"})], WEB, [], ""),                                    # service selects others
    ([service(WEB, ns="other")], WEB, [], ""),                                  # another namespace
    ([service(None), service({})], WEB, [], ""),                                # selectorless services
    ([service(WEB), service({"tier": "front"})], {**WEB, "tier": "front"}, [], "app=web,tier=front"),
    ([], {**WEB, "tier": "front"}, [RS_REF], "app=web,tier in (front)"),
    ([], WEB, [{**RS_REF, "controller": False}], ""),                          # an owner, not the controller
    ([], WEB, [{**RS_REF, "name": "gone"}], ""),                                # controller not in the cache
    ([], WEB, [{**RS_REF, "kind": "DaemonSet"}], ""),                           # kube-scheduler ignores those
    ([service(WEB)], WEB, [{**RS_REF, "name": "broken"}], "app=web"),          # invalid selector adds nothing
    ([], WEB, [{**RS_REF, "name": "no-selector"}], ""),
    ([service({"env": "prod"})], {**WEB, "env": "prod"}, [RS_REF], "app=web,env=prod,tier in (front)"),
])
def test_default_selector(services, labels, refs, selector):
    assert str(workloads(*services).default_selector(owned_pod(labels, *refs))) == selector


def scores(plugin, pod, nodes, lister):
    state: dict = {}
    snapshot = Snapshot(nodes, workloads=lister)
    status = plugin.pre_score(state, pod, nodes, snapshot)
    if status is not None and status.skip:
        return None
    result = plugin.score_nodes(state, pod, nodes)
    plugin.normalize_scores(state, pod, result)
    return result


def cluster():
    """n1 (zone a) holds two web pods, n2 (zone a) none that count, n3 (no zone label) one."""
    n1, n2, n3 = make_node("n1", {"topology.kubernetes.io/zone": "a"}), \
        make_node("n2", {"topology.kubernetes.io/zone": "a"}), make_node("n3")
    for i, node in enumerate([n1, n1, n3]):
        node.add_pod(make_pod(f"w{i}", WEB))
    n2.add_pod(make_pod("db", {"app": "db"}))
    n2.add_pod(make_pod("w-other-ns", WEB, namespace="other"))
    terminating = make_pod("w-terminating", WEB)
    terminating.deleting = True
    n2.add_pod(terminating)
    return [n1, n2, n3]


def test_system_default_scores_count_hostname_and_zone_and_keep_nodes_without_zone():
    # hostname: 3 scored nodes -> weight log(5), maxSkew 3; zone: domains {"a", ""} -> log(4), maxSkew 5.
    host, zone = math.log(5), math.log(4)
    raw = [round(2 * host + 2 + 2 * zone + 4), round(0 * host + 2 + 2 * zone + 4), round(1 * host + 2)]
    assert raw == [12, 9, 4]
    high, low = max(raw), min(raw)
    expected = [100 * (high + low - r) // high for r in raw]
    assert scores(PodTopologySpread(), make_pod("new", WEB), cluster(), workloads(service(WEB))) == expected
    assert expected == [33, 58, 100]          # n3, without a zone label, is scored, not ignored


def test_explicit_constraints_ignore_nodes_without_the_key_and_get_no_defaults():
    spread = [{"maxSkew": 3, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
               "labelSelector": {"matchLabels": WEB}},
              {"maxSkew": 5, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
               "labelSelector": {"matchLabels": WEB}}]
    pod = make_pod("new", WEB, topologySpreadConstraints=spread)
    result = scores(PodTopologySpread(), pod, cluster(), workloads(service(WEB)))
    assert result[2] == 0                     # n3 lacks the zone key: ignored
    assert result[1] > result[0]
    only_filter = make_pod("new", WEB, topologySpreadConstraints=[{**spread[0], "whenUnsatisfiable": "DoNotSchedule"}])
    assert scores(PodTopologySpread(), only_filter, cluster(), workloads(service(WEB))) is None


@pytest.mark.parametrize("args, lister, skipped", [
    ({}, workloads(), True),                                           # no workload: no constraint
    ({}, workloads(service(WEB)), False),
    ({"defaultingType": "List"}, workloads(service(WEB)), True),       # List with no defaultConstraints
    ({"defaultingType": "List", "defaultConstraints": [
        {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway"}]},
     workloads(service(WEB)), False),
])
def test_when_defaults_apply(args, lister, skipped):
    result = scores(PodTopologySpread(args), make_pod("new", WEB), cluster(), lister)
    assert (result is None) == skipped


def test_list_defaults_may_filter():
    """A List default with DoNotSchedule filters (system defaults never do)."""
    plugin = PodTopologySpread({"defaultingType": "List", "defaultConstraints": [
        {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule"}]})
    nodes = cluster()
    state: dict = {}
    assert plugin.pre_filter(state, make_pod("new", WEB), Snapshot(nodes, workloads=workloads(service(WEB)))) is None
    verdicts = [plugin.filter(state, make_pod("new", WEB), node) for node in nodes]
    assert [v is None for v in verdicts] == [False, True, False]      # n1 has 2, n3 has 1, the emptiest 0
    system: dict = {}
    status = PodTopologySpread().pre_filter(system, make_pod("new", WEB),
                                            Snapshot(nodes, workloads=workloads(service(WEB))))
    assert status is not None and status.skip
