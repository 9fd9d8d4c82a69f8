"""Taints, tolerations and node affinity as component-helpers define them
(minikube_py/api/taints.py, nodeaffinity.py)."""
from __future__ import annotations

from typing import Any

import pytest

from minikube_py.api import taints
from minikube_py.api.nodeaffinity import NodeLabels, pod_matches_node, preferred_terms, required_node_affinity

NOT_READY = {"key": taints.NOT_READY, "effect": taints.NO_EXECUTE}
GPU = {"key": "gpu", "value": "a100", "effect": taints.NO_SCHEDULE}


@pytest.mark.parametrize("toleration, taint, tolerated", [
    ({"key": "gpu", "operator": "Equal", "value": "a100", "effect": "NoSchedule"}, GPU, True),
    ({"key": "gpu", "value": "a100"}, GPU, True),                          # Equal is the default; any effect
    ({"key": "gpu", "value": "v100"}, GPU, False),                         # another value
    ({"key": "gpu", "operator": "Exists"}, GPU, True),                     # any value
    ({"key": "gpu", "operator": "Exists", "effect": "NoExecute"}, GPU, False),   # another effect
    ({"operator": "Exists"}, GPU, True),                                   # empty key with Exists: everything
    ({"operator": "Exists", "effect": "NoExecute"}, NOT_READY, True),
    ({"key": "other", "operator": "Exists"}, GPU, False),
    ({"key": "gpu", "operator": "Gt", "value": "1"}, GPU, False),          # an unknown operator tolerates nothing
    ({"key": taints.NOT_READY, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
     NOT_READY, True),
    ({"key": taints.NOT_READY}, {"key": taints.NOT_READY, "effect": "NoExecute"}, True),   # "" == no value
])
def test_tolerates(toleration: dict[str, Any], taint: dict[str, Any], tolerated: bool) -> None:
    assert taints.tolerates(toleration, taint) is tolerated


def test_first_untolerated_only_looks_at_the_given_effects() -> None:
    soft = {"key": "soft", "effect": taints.PREFER_NO_SCHEDULE}
    node_taints = [soft, GPU, NOT_READY]
    assert taints.first_untolerated(node_taints, [], (taints.NO_SCHEDULE, taints.NO_EXECUTE)) == GPU
    assert taints.first_untolerated(node_taints, [{"key": "gpu", "operator": "Exists"}],
                                    (taints.NO_SCHEDULE, taints.NO_EXECUTE)) == NOT_READY
    assert taints.first_untolerated(node_taints, [{"operator": "Exists"}], (taints.NO_EXECUTE,)) is None
    assert taints.first_untolerated(node_taints, [], (taints.PREFER_NO_SCHEDULE,)) == soft
    assert taints.tolerated_by_any(GPU, [{"key": "x"}, {"key": "gpu", "operator": "Exists"}])


def test_taints_and_tolerations_of_objects() -> None:
    assert taints.node_taints({"spec": {"taints": [GPU, "junk"]}}) == [GPU]
    assert taints.node_taints(None) == [] and taints.node_taints({"spec": {}}) == []
    assert taints.pod_tolerations({"tolerations": [{"operator": "Exists"}, 3]}) == [{"operator": "Exists"}]


NODE = NodeLabels("node-1", {"zone": "a", "disk": "ssd", "cores": "8"})


def term(*expressions: dict[str, Any], fields: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    return {"matchExpressions": list(expressions), "matchFields": list(fields)}


def required(*terms: dict[str, Any]) -> dict[str, Any]:
    return {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}


@pytest.mark.parametrize("node_selector, node_affinity, matches", [
    ({"zone": "a"}, None, True),
    ({"zone": "a", "disk": "hdd"}, None, False),                       # every key=value must hold
    (None, required(term({"key": "zone", "operator": "In", "values": ["a", "b"]})), True),
    (None, required(term({"key": "zone", "operator": "NotIn", "values": ["a"]})), False),
    (None, required(term({"key": "gpu", "operator": "DoesNotExist"})), True),
    (None, required(term({"key": "disk", "operator": "Exists"})), True),
    (None, required(term({"key": "cores", "operator": "Gt", "values": ["4"]})), True),
    (None, required(term({"key": "cores", "operator": "Lt", "values": ["4"]})), False),
    # terms are ORed, a term's expressions ANDed
    (None, required(term({"key": "zone", "operator": "In", "values": ["b"]}),
                    term({"key": "disk", "operator": "In", "values": ["ssd"]})), True),
    (None, required(term({"key": "zone", "operator": "In", "values": ["a"]},
                         {"key": "disk", "operator": "In", "values": ["hdd"]})), False),
    (None, required(term(fields=({"key": "metadata.name", "operator": "In", "values": ["node-1"]},))), True),
    (None, required(term(fields=({"key": "metadata.name", "operator": "In", "values": ["node-2"]},))), False),
    (None, required(term()), False),                                   # an empty term matches no node
    (None, required(), False),                                         # no terms at all: nothing matches
    (None, required(term({"key": "zone", "operator": "Near", "values": ["a"]})), False),   # invalid term
    ({"zone": "b"}, required(term({"key": "zone", "operator": "Exists"})), False),          # both must hold
])
def test_required_node_affinity(node_selector: Any, node_affinity: Any, matches: bool) -> None:
    matcher = required_node_affinity(node_selector, node_affinity)
    assert matcher is not None and matcher(NODE) is matches
    spec = {"nodeSelector": node_selector, "affinity": {"nodeAffinity": node_affinity}}
    assert pod_matches_node(spec, NODE) is matches


def test_no_constraint_matches_every_node() -> None:
    assert required_node_affinity(None, None) is None and required_node_affinity({}, {}) is None
    assert pod_matches_node({}, NODE)


def test_preferred_terms_and_node_labels_of_a_node_object() -> None:
    affinity = {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 5, "preference": term({"key": "disk", "operator": "In", "values": ["ssd"]})},
        {"weight": 3, "preference": term({"key": "zone", "operator": "In", "values": ["b"]})}, "junk"]}
    node = NodeLabels.of({"metadata": {"name": "node-1", "labels": {"disk": "ssd"}}})
    assert node == NodeLabels("node-1", {"disk": "ssd"})
    assert sum(weight for weight, matches in preferred_terms(affinity) if matches(node)) == 5
    assert NodeLabels.of({}) == NodeLabels("", {})
