"""Services, as Kubernetes' ValidateService and ValidateServiceUpdate do it.

A Service gives a stable virtual IP (spec.clusterIP) and DNS name to the pods
its selector picks; kube-proxy turns each port into iptables rules. `type`
widens the reach: ClusterIP (inside the cluster), NodePort (plus a port on
every node), LoadBalancer (plus an external balancer), or ExternalName (just a
DNS CNAME, no proxying). "Headless" services (clusterIP: None) get DNS records
for each pod instead of a virtual IP.
"""
from __future__ import annotations

from typing import Any

from .containers import PROTOCOLS
from .field import Cause, child, duplicate, forbidden, immutable, in_range, invalid, one_of, required, required_one_of
from .meta import validate_labels
from .names import check, dns1123_label_problems, dns1123_subdomain_problems
from .network import ip_errors, ipv4_errors, port_number_errors, port_number_or_name_errors
from .shapes import dig, get_int, get_list, get_object, get_str, objects_in, strings_in

SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
SESSION_AFFINITIES = ("None", "ClientIP")
TRAFFIC_POLICIES = ("Cluster", "Local")
NODE_PORT_RANGE = (30000, 32767)
MAX_CLIENT_IP_TIMEOUT = 86400
HEADLESS = "None"


def validate_service(service: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    spec = get_object(service, "spec", "", errs)
    service_type = spec.get("type")
    errs += required_one_of("spec.type", service_type, SERVICE_TYPES)
    errs += _validate_cluster_ip(spec, service_type)
    errs += _validate_ports(spec, service_type)
    errs += validate_labels(spec.get("selector"), "spec.selector")
    errs += required_one_of("spec.sessionAffinity", spec.get("sessionAffinity"), SESSION_AFFINITIES)
    errs += _validate_session_affinity_config(spec)
    errs += _validate_traffic_policies(spec, service_type)
    for item_path, address in strings_in(get_list(spec, "externalIPs", "spec", errs), "spec.externalIPs", errs):
        errs += ip_errors(item_path, address, required_value=True)
    if service_type == "ExternalName":
        errs += check("spec.externalName", _without_root_dot(spec.get("externalName")), dns1123_subdomain_problems,
                      required_value=True)
    return errs


def _without_root_dot(name: Any) -> Any:
    """'example.com.' (fully qualified, with the DNS root) is allowed."""
    return name.removesuffix(".") if isinstance(name, str) else name


def _validate_cluster_ip(spec: dict[str, Any], service_type: Any) -> list[Cause]:
    errs: list[Cause] = []
    cluster_ip = get_str(spec, "clusterIP", "spec", errs)
    if not cluster_ip:
        return errs
    if service_type == "ExternalName":
        return errs + [forbidden("spec.clusterIP", "may not be set for ExternalName services")]
    cluster_ips = get_list(spec, "clusterIPs", "spec", errs)
    if cluster_ips and cluster_ips[0] != cluster_ip:
        errs.append(invalid("spec.clusterIPs[0]", cluster_ips[0], "must be same as `clusterIP`"))
    if cluster_ip == HEADLESS:
        if service_type in ("NodePort", "LoadBalancer"):
            errs.append(invalid("spec.clusterIP", cluster_ip, f"may not be set to 'None' for {service_type} services"))
        return errs
    return errs + ipv4_errors("spec.clusterIP", cluster_ip)


def _validate_ports(spec: dict[str, Any], service_type: Any) -> list[Cause]:
    errs: list[Cause] = []
    ports = get_list(spec, "ports", "spec", errs)
    headless = spec.get("clusterIP") == HEADLESS
    if not ports and not errs and not headless and service_type != "ExternalName":
        errs.append(required("spec.ports"))
    names: set[str] = set()
    seen_ports: set[tuple[Any, Any]] = set()
    seen_node_ports: set[tuple[Any, Any]] = set()
    for port_path, port in objects_in(ports, "spec.ports", errs):
        errs += _validate_port_name(port, port_path, names, name_required=len(ports) > 1)
        errs += port_number_errors(child(port_path, "port"), port.get("port"))
        errs += required_one_of(child(port_path, "protocol"), port.get("protocol"), PROTOCOLS)
        if port.get("targetPort") not in (None, 0, ""):
            errs += port_number_or_name_errors(child(port_path, "targetPort"), port.get("targetPort"))
        errs += _validate_node_port(port, port_path, service_type)
        if _seen_before((port.get("port"), port.get("protocol")), seen_ports):
            errs.append(duplicate(port_path, port))
        if port.get("nodePort") and _seen_before((port.get("nodePort"), port.get("protocol")), seen_node_ports):
            errs.append(duplicate(child(port_path, "nodePort"), port.get("nodePort")))
    return errs


def _seen_before(identity: tuple[Any, ...], seen: set[tuple[Any, ...]]) -> bool:
    """Remember `identity`; True if it was already there. Malformed (non-scalar) parts never match."""
    if not all(isinstance(part, (str, int)) for part in identity):
        return False
    if identity in seen:
        return True
    seen.add(identity)
    return False


def _validate_port_name(port: dict[str, Any], path: str, names: set[str], *, name_required: bool) -> list[Cause]:
    """With several ports each needs a unique name (Endpoints and DNS SRV records refer to it)."""
    name, name_path = port.get("name"), child(path, "name")
    errs = check(name_path, name, dns1123_label_problems, required_value=name_required)
    if isinstance(name, str) and name:
        if name in names:
            errs.append(duplicate(name_path, name))
        names.add(name)
    return errs


def _validate_node_port(port: dict[str, Any], path: str, service_type: Any) -> list[Cause]:
    errs: list[Cause] = []
    node_port_path = child(path, "nodePort")
    node_port = get_int(port, "nodePort", path, errs)
    if not node_port:
        return errs
    if service_type not in ("NodePort", "LoadBalancer"):
        return errs + [forbidden(node_port_path, f"may not be used when `type` is '{service_type}'")]
    low, high = NODE_PORT_RANGE
    if not low <= node_port <= high:
        errs.append(invalid(node_port_path, node_port, "provided port is not in the valid range. "
                                                       f"The range of valid ports is {low}-{high}"))
    return errs


def _validate_session_affinity_config(spec: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    if spec.get("sessionAffinityConfig") is None:
        return errs
    config_path = "spec.sessionAffinityConfig"
    if spec.get("sessionAffinity") != "ClientIP":
        return [forbidden(config_path, "must not be set when `sessionAffinity` is None")]
    config = get_object(spec, "sessionAffinityConfig", "spec", errs)
    client_ip = get_object(config, "clientIP", config_path, errs)
    timeout_path = child(config_path, "clientIP")
    timeout = get_int(client_ip, "timeoutSeconds", timeout_path, errs)
    return errs + in_range(child(timeout_path, "timeoutSeconds"), timeout, 1, MAX_CLIENT_IP_TIMEOUT)


def _validate_traffic_policies(spec: dict[str, Any], service_type: Any) -> list[Cause]:
    errs: list[Cause] = []
    external = get_str(spec, "externalTrafficPolicy", "spec", errs)
    if external and service_type not in ("NodePort", "LoadBalancer"):
        errs.append(invalid("spec.externalTrafficPolicy", external,
                            "may only be set when `type` is 'NodePort' or 'LoadBalancer'"))
    elif external:
        errs += one_of("spec.externalTrafficPolicy", external, TRAFFIC_POLICIES)
    errs += one_of("spec.internalTrafficPolicy", get_str(spec, "internalTrafficPolicy", "spec", errs) or None,
                   TRAFFIC_POLICIES)
    return errs


def validate_service_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """clusterIP is fixed once allocated (kube-proxy rules and clients rely on it), except around ExternalName."""
    new_spec, old_spec = dig(new, "spec"), dig(old, "spec")
    if "ExternalName" in (new_spec.get("type"), old_spec.get("type")) or not old_spec.get("clusterIP"):
        return []
    return immutable("spec.clusterIP", new_spec.get("clusterIP"), old_spec.get("clusterIP"))
