"""Namespaces and Nodes, as Kubernetes' ValidateNamespace and ValidateNode do it.

A namespace's name becomes part of DNS names (`svc.<ns>.svc.cluster.local`), so
it is a DNS-1123 label. Its `spec.finalizers` hold it in Terminating until the
namespace controller has deleted everything inside. A Node carries its pod
network (`spec.podCIDR`, fixed once assigned: routes and pod IPs depend on it)
and taints that keep pods away.
"""
from __future__ import annotations

from typing import Any

from .field import Cause, child, forbidden, invalid
from .meta import validate_finalizers
from .network import cidr_errors
from .scheduling import validate_taints
from .shapes import dig, get_bool, get_list, get_object, get_str, strings_in


def validate_namespace(namespace: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    spec = get_object(namespace, "spec", "", errs)
    return errs + validate_finalizers(spec.get("finalizers"), "spec.finalizers")


def validate_node(node: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    spec = get_object(node, "spec", "", errs)
    errs += cidr_errors("spec.podCIDR", get_str(spec, "podCIDR", "spec", errs))
    cidrs = get_list(spec, "podCIDRs", "spec", errs)
    for item_path, cidr in strings_in(cidrs, "spec.podCIDRs", errs):
        errs += cidr_errors(item_path, cidr)
    pod_cidr = spec.get("podCIDR")
    if cidrs and pod_cidr and cidrs[0] != pod_cidr:
        errs.append(invalid("spec.podCIDRs[0]", cidrs[0], "must match `spec.podCIDR`"))
    get_bool(spec, "unschedulable", "spec", errs)
    get_str(spec, "providerID", "spec", errs)
    return errs + validate_taints(spec, "spec")


def validate_node_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """A node's pod network may be assigned once (from empty), never changed."""
    old_cidr, new_cidr = dig(old, "spec").get("podCIDR"), dig(new, "spec").get("podCIDR")
    if old_cidr and new_cidr != old_cidr:
        return [forbidden(child("spec", "podCIDR"), "node updates may only change podCIDR from empty to valid")]
    return []
