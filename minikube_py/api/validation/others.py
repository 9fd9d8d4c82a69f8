"""Endpoints, Events and Leases, as Kubernetes' core and coordination validation do it.

- Endpoints: the pod IPs and ports behind a Service (written by the endpoints
  controller, read by kube-proxy).
- Event: a record that something happened to an object (`involvedObject`).
- Lease: a heartbeat / lock (node heartbeats in kube-node-lease, leader
  election of controllers): who holds it, since when, for how long.
"""
from __future__ import annotations

import ipaddress
from typing import Any

from minikube_py.api.times import parse_rfc3339

from .containers import PROTOCOLS
from .field import Cause, at_least, child, invalid, required, required_one_of
from .names import check, dns1123_label_problems, dns1123_subdomain_problems
from .network import ip_errors, parse_ip, port_number_errors
from .shapes import dig, get_int, get_list, get_object, get_str, objects_in

ADDRESS_LISTS = ("addresses", "notReadyAddresses")
EVENT_TEXT_FIELDS = ("reason", "message", "type", "action", "reportingComponent", "reportingInstance")
EVENT_TIME_FIELDS = ("firstTimestamp", "lastTimestamp", "eventTime")
LEASE_TIME_FIELDS = ("acquireTime", "renewTime")


# -- Endpoints --------------------------------------------------------------------
def validate_endpoints(endpoints: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    for subset_path, subset in objects_in(get_list(endpoints, "subsets", "", errs), "subsets", errs):
        for list_name in ADDRESS_LISTS:
            list_path = child(subset_path, list_name)
            for address_path, address in objects_in(get_list(subset, list_name, subset_path, errs), list_path, errs):
                errs += _validate_endpoint_address(address, address_path)
        ports = get_list(subset, "ports", subset_path, errs)
        for port_path, port in objects_in(ports, child(subset_path, "ports"), errs):
            errs += check(child(port_path, "name"), port.get("name"), dns1123_label_problems,
                          required_value=len(ports) > 1)
            errs += port_number_errors(child(port_path, "port"), port.get("port"))
            errs += required_one_of(child(port_path, "protocol"), port.get("protocol"), PROTOCOLS)
    return errs


def _validate_endpoint_address(address: dict[str, Any], path: str) -> list[Cause]:
    errs = ip_errors(child(path, "ip"), address.get("ip"), required_value=True)
    ip = parse_ip(address.get("ip"))
    if ip is not None and _is_special(ip):
        errs.append(invalid(child(path, "ip"), address["ip"],
                            "may not be in the loopback range (127.0.0.0/8, ::1/128), "
                            "the link-local range or a multicast range"))
    errs += check(child(path, "hostname"), address.get("hostname"), dns1123_label_problems)
    errs += check(child(path, "nodeName"), address.get("nodeName"), dns1123_subdomain_problems)
    get_object(address, "targetRef", path, errs)
    return errs


def _is_special(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Addresses kube-proxy could never forward to: they mean "this host" or no host at all."""
    return ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified


# -- Events -----------------------------------------------------------------------
def validate_event(event: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    if event.get("involvedObject") is None:
        errs.append(required("involvedObject"))
    involved = get_object(event, "involvedObject", "", errs)
    for name in ("kind", "name", "namespace", "uid", "apiVersion", "fieldPath", "resourceVersion"):
        get_str(involved, name, "involvedObject", errs)
    errs += _validate_event_namespace(event, involved)
    for name in EVENT_TEXT_FIELDS:
        get_str(event, name, "", errs)
    errs += at_least("count", get_int(event, "count", "", errs), 0)
    get_object(event, "source", "", errs)
    for name in EVENT_TIME_FIELDS:
        errs += timestamp_errors(event, name, "")
    return errs


def _validate_event_namespace(event: dict[str, Any], involved: dict[str, Any]) -> list[Cause]:
    """An event lives in its object's namespace (events about cluster-scoped objects: in "default")."""
    event_namespace = dig(event, "metadata").get("namespace")
    object_namespace = involved.get("namespace")
    if not isinstance(object_namespace, str):
        return []
    if object_namespace and object_namespace != event_namespace:
        return [invalid("involvedObject.namespace", object_namespace, "does not match event.namespace")]
    if not object_namespace and event_namespace not in (None, "", "default"):
        return [invalid("involvedObject.namespace", object_namespace, "does not match event.namespace")]
    return []


# -- Leases ---------------------------------------------------------------------
def validate_lease(lease: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    spec = get_object(lease, "spec", "", errs)
    get_str(spec, "holderIdentity", "spec", errs)
    duration = get_int(spec, "leaseDurationSeconds", "spec", errs)
    if duration is not None and duration <= 0:
        errs.append(invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
    errs += at_least("spec.leaseTransitions", get_int(spec, "leaseTransitions", "spec", errs), 0)
    for name in LEASE_TIME_FIELDS:
        errs += timestamp_errors(spec, name, "spec")
    return errs


def timestamp_errors(parent: dict[str, Any], name: str, path: str) -> list[Cause]:
    """An RFC 3339 time such as 2024-05-01T10:00:00Z or 2024-05-01T10:00:00.123456Z (metav1.Time/MicroTime)."""
    errs: list[Cause] = []
    value = get_str(parent, name, path, errs)
    if not value:
        return errs
    try:
        parse_rfc3339(value)
    except ValueError:
        errs.append(invalid(child(path, name), value, "must be an RFC 3339 time, e.g. 2024-05-01T10:00:00Z"))
    return errs

