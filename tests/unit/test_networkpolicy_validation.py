"""NetworkPolicy defaulting and validation (pkg/apis/networking/v1 defaults, networking/validation)."""
from __future__ import annotations

from typing import Any

import pytest

from minikube_py.api.defaults import apply_defaults
from minikube_py.api.resources import known, lookup
from minikube_py.api.validation import validate

NETPOL = known("netpol")


def policy(**spec: Any) -> dict[str, Any]:
    obj = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"name": "p", "namespace": "default"}, "spec": spec}
    apply_defaults(NETPOL, obj)
    return obj


def problems(obj: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["field"], c["message"]) for c in validate(NETPOL, obj)]


def test_registered_as_kubernetes_serves_it() -> None:
    assert NETPOL.api_version == "networking.k8s.io/v1" and NETPOL.plural == "networkpolicies"
    assert NETPOL.namespaced and lookup("networkpolicy") is NETPOL


@pytest.mark.parametrize("spec, types", [
    ({}, ["Ingress"]),
    ({"ingress": [{}]}, ["Ingress"]),
    ({"egress": [{}]}, ["Ingress", "Egress"]),
    ({"policyTypes": ["Egress"]}, ["Egress"]),
])
def test_policy_types_default_from_the_presence_of_egress_rules(spec: dict, types: list[str]) -> None:
    obj = policy(**spec)
    assert obj["spec"]["policyTypes"] == types and obj["spec"]["podSelector"] == {}
    assert problems(obj) == []


def test_port_protocol_defaults_to_tcp() -> None:
    obj = policy(ingress=[{"ports": [{"port": 80}, {"protocol": "UDP", "port": 53}]}])
    assert [p["protocol"] for p in obj["spec"]["ingress"][0]["ports"]] == ["TCP", "UDP"]


def test_a_full_policy_is_valid() -> None:
    obj = policy(podSelector={"matchLabels": {"app": "db"}},
                 ingress=[{"from": [{"podSelector": {"matchLabels": {"role": "api"}},
                                     "namespaceSelector": {"matchExpressions": [{"key": "team",
                                                                                 "operator": "Exists"}]}},
                                    {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
                           "ports": [{"port": "http"}, {"protocol": "SCTP", "port": 3000, "endPort": 3010}]}],
                 egress=[{"to": [{"namespaceSelector": {}}], "ports": [{"port": 53, "protocol": "UDP"}]}])
    assert problems(obj) == []


@pytest.mark.parametrize("spec, field, message", [
    ({"policyTypes": ["Sideways"]}, "spec.policyTypes[0]",
     'Unsupported value: "Sideways": supported values: "Ingress", "Egress"'),
    ({"policyTypes": ["Ingress", "Egress", "Ingress"]}, "spec.policyTypes",
     "may not specify more than two policyTypes"),
    ({"ingress": [{"ports": [{"protocol": "ICMP"}]}]}, "spec.ingress[0].ports[0].protocol",
     'Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"'),
    ({"ingress": [{"ports": [{"port": 0}]}]}, "spec.ingress[0].ports[0].port", "between 1 and 65535"),
    ({"ingress": [{"ports": [{"port": "HTTP_"}]}]}, "spec.ingress[0].ports[0].port", "alpha-numeric"),
    ({"egress": [{"ports": [{"port": 90, "endPort": 80}]}]}, "spec.egress[0].ports[0].endPort",
     "must be greater than or equal to `port`"),
    ({"egress": [{"ports": [{"port": "web", "endPort": 80}]}]}, "spec.egress[0].ports[0].endPort",
     "may not be specified when `port` is non-numeric"),
    ({"egress": [{"ports": [{"endPort": 80}]}]}, "spec.egress[0].ports[0].endPort",
     "may not be specified when `port` is not specified"),
    ({"ingress": [{"from": [{}]}]}, "spec.ingress[0].from[0]", "must specify a peer"),
    ({"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]}, "spec.ingress[0].from[0]",
     "may not specify both ipBlock and another peer"),
    ({"egress": [{"to": [{"ipBlock": {}}]}]}, "spec.egress[0].to[0].ipBlock.cidr", "Required value"),
    ({"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/33"}}]}]}, "spec.egress[0].to[0].ipBlock.cidr",
     "must be a valid CIDR value"),
    ({"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/16"]}}]}]},
     "spec.egress[0].to[0].ipBlock.except[0]", "must be a strict subset of `cidr`"),
    ({"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.0.0/8"]}}]}]},
     "spec.egress[0].to[0].ipBlock.except[0]", "must be a strict subset of `cidr`"),
    ({"podSelector": {"matchExpressions": [{"key": "a", "operator": "In"}]}},
     "spec.podSelector.matchExpressions[0].values", "Required value"),
    ({"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"bad key!": "x"}}}]}]},
     "spec.ingress[0].from[0].namespaceSelector.matchLabels", "Invalid value"),
    ({"ingress": "all"}, "spec.ingress", "must be an array"),
])
def test_invalid_policies_name_the_field(spec: dict, field: str, message: str) -> None:
    found = problems(policy(**spec))
    assert any(f == field and message in m for f, m in found), found
