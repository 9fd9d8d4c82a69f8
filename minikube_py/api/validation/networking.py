"""NetworkPolicy (networking.k8s.io/v1), as Kubernetes' pkg/apis/networking/validation does it.

A NetworkPolicy selects pods of its namespace (`spec.podSelector`; `{}` is
every pod) and lists what may reach them (`ingress[].from` + `ports`) and what
they may reach (`egress[].to` + `ports`). The checks, with Kubernetes' messages:

- `policyTypes`: at most two, each `Ingress` or `Egress` (defaulting fills it
  in from the presence of egress rules, minikube_py/api/defaults.py);
- a port: protocol TCP, UDP or SCTP; `port` a number 1-65535 or a port name;
  `endPort` only with a numeric `port`, not below it;
- a peer: at least one of podSelector, namespaceSelector, ipBlock, and an
  ipBlock alone; an ipBlock's `cidr` is required and each `except` must be a
  strict subset of it.
"""
from __future__ import annotations

import ipaddress
from typing import Any

from .field import Cause, child, each_invalid, forbidden, invalid, not_supported, required
from .names import port_name_problems
from .network import CIDR_EXAMPLE, cidr_errors, port_number_errors
from .selectors import validate_label_selector
from .shapes import get_int, get_int_or_str, get_list, get_object, get_str, objects_in, strings_in

POLICY_TYPES = ("Ingress", "Egress")
PROTOCOLS = ("TCP", "UDP", "SCTP")
PEER_FIELDS = ("podSelector", "namespaceSelector", "ipBlock")
RULE_DIRECTIONS = (("ingress", "from"), ("egress", "to"))


def validate_network_policy(policy: dict[str, Any]) -> list[Cause]:
    """ValidateNetworkPolicySpec: the pod selector, every rule, the policy types."""
    errs: list[Cause] = []
    spec = get_object(policy, "spec", "", errs)
    errs += validate_label_selector(get_object(spec, "podSelector", "spec", errs), "spec.podSelector")
    for direction, peers_field in RULE_DIRECTIONS:
        for rule_path, rule in objects_in(get_list(spec, direction, "spec", errs), child("spec", direction), errs):
            for port_path, port in objects_in(get_list(rule, "ports", rule_path, errs), child(rule_path, "ports"),
                                              errs):
                errs += validate_port(port, port_path)
            for peer_path, peer in objects_in(get_list(rule, peers_field, rule_path, errs),
                                              child(rule_path, peers_field), errs):
                errs += validate_peer(peer, peer_path)
    errs += _validate_policy_types(get_list(spec, "policyTypes", "spec", errs))
    return errs


def _validate_policy_types(policy_types: list[Any]) -> list[Cause]:
    path = "spec.policyTypes"
    if len(policy_types) > len(POLICY_TYPES):
        return [invalid(path, policy_types, "may not specify more than two policyTypes")]
    errs: list[Cause] = []
    for type_path, policy_type in strings_in(policy_types, path, errs):
        if policy_type not in POLICY_TYPES:
            errs.append(not_supported(type_path, policy_type, POLICY_TYPES))
    return errs


def validate_port(port: dict[str, Any], path: str) -> list[Cause]:
    """ValidateNetworkPolicyPort."""
    errs: list[Cause] = []
    protocol = get_str(port, "protocol", path, errs)
    if protocol is not None and protocol not in PROTOCOLS:
        errs.append(not_supported(child(path, "protocol"), protocol, PROTOCOLS))
    number = get_int_or_str(port, "port", path, errs)
    end_port = get_int(port, "endPort", path, errs)
    port_path, end_path = child(path, "port"), child(path, "endPort")
    if isinstance(number, int):
        errs += port_number_errors(port_path, number)
        if end_port is not None:
            if end_port < number:
                errs.append(invalid(end_path, number, "must be greater than or equal to `port`"))
            errs += port_number_errors(end_path, end_port)
    elif isinstance(number, str):
        if end_port is not None:
            errs.append(invalid(end_path, end_port, "may not be specified when `port` is non-numeric"))
        errs += each_invalid(port_path, number, port_name_problems(number))
    elif end_port is not None:
        errs.append(invalid(end_path, end_port, "may not be specified when `port` is not specified"))
    return errs


def validate_peer(peer: dict[str, Any], path: str) -> list[Cause]:
    """ValidateNetworkPolicyPeer: one kind of peer, or both selectors together."""
    errs: list[Cause] = []
    present = [name for name in PEER_FIELDS if peer.get(name) is not None]
    for name in ("podSelector", "namespaceSelector"):
        if name in present:
            errs += validate_label_selector(get_object(peer, name, path, errs), child(path, name))
    if "ipBlock" in present:
        errs += validate_ip_block(get_object(peer, "ipBlock", path, errs), child(path, "ipBlock"))
    if not present:
        errs.append(required(path, "must specify a peer"))
    elif len(present) > 1 and "ipBlock" in present:
        errs.append(forbidden(path, "may not specify both ipBlock and another peer"))
    return errs


def validate_ip_block(block: dict[str, Any], path: str) -> list[Cause]:
    """ValidateIPBlock: a valid cidr, and every except a strict subset of it."""
    errs: list[Cause] = []
    cidr = get_str(block, "cidr", path, errs)
    cidr_path = child(path, "cidr")
    if not cidr:
        return errs + [required(cidr_path)]
    cidr_problems = cidr_errors(cidr_path, cidr)
    errs += cidr_problems
    except_path = child(path, "except")
    for item_path, item in strings_in(get_list(block, "except", path, errs), except_path, errs):
        item_problems = cidr_errors(item_path, item) if item else [invalid(item_path, item, CIDR_EXAMPLE)]
        errs += item_problems
        if not cidr_problems and not item_problems and not is_strict_subnet(item, cidr):
            errs.append(invalid(item_path, item, "must be a strict subset of `cidr`"))
    return errs


def is_strict_subnet(inner: str, outer: str) -> bool:
    inner_net, outer_net = ipaddress.ip_network(inner), ipaddress.ip_network(outer)
    return (inner_net.version == outer_net.version and inner_net.subnet_of(outer_net)  # type: ignore[arg-type]
            and inner_net.prefixlen > outer_net.prefixlen)
