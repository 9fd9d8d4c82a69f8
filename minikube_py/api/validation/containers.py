"""Containers and init containers, as Kubernetes' validateContainers does it.

Container names are DNS-1123 labels, unique across `containers` and
`initContainers` (the kubelet and `kubectl logs -c` address containers by
name). Each needs an image; its ports, environment, resources, mounts, probes
and security context are checked by the modules named after them.
"""
from __future__ import annotations

from typing import Any

from .env import validate_env, validate_env_from
from .field import Cause, child, duplicate, forbidden, invalid, not_supported, required, required_one_of
from .names import check, dns1123_label_problems, port_name_problems
from .network import port_number_errors
from .probes import validate_lifecycle, validate_probe
from .resources import validate_resource_requirements
from .security import validate_container_security_context
from .shapes import get_bool, get_list, get_required_list, get_str, objects_in, strings_in
from .volumes import validate_volume_mounts

PULL_POLICIES = ("Always", "IfNotPresent", "Never")
TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
PROTOCOLS = ("TCP", "UDP", "SCTP")
# liveness and startup probes decide "restart?", so one success is enough; readiness may want more
PROBES = {"livenessProbe": True, "readinessProbe": False, "startupProbe": True}
FLAGS = ("stdin", "stdinOnce", "tty")


def validate_all_containers(spec: dict[str, Any], path: str, volume_names: set[str]) -> list[Cause]:
    """spec.initContainers and spec.containers (at least one)."""
    errs: list[Cause] = []
    names: set[str] = set()
    host_network = spec.get("hostNetwork") is True
    lists = (("initContainers", get_list(spec, "initContainers", path, errs)),
             ("containers", get_required_list(spec, "containers", path, errs)))
    for list_name, containers in lists:
        for item_path, container in objects_in(containers, child(path, list_name), errs):
            errs += _validate_unique_name(container, item_path, names)
            errs += validate_container(container, item_path, volume_names,
                                       is_init=list_name == "initContainers", host_network=host_network)
    return errs


def _validate_unique_name(container: dict[str, Any], path: str, seen: set[str]) -> list[Cause]:
    name = container.get("name")
    errs = check(child(path, "name"), name, dns1123_label_problems, required_value=True)
    if isinstance(name, str) and name:
        if name in seen:
            errs.append(duplicate(child(path, "name"), name))
        seen.add(name)
    return errs


def validate_container(container: dict[str, Any], path: str, volume_names: set[str],
                       *, is_init: bool, host_network: bool) -> list[Cause]:
    errs: list[Cause] = []
    errs += _validate_image(container, path)
    for name in ("command", "args"):
        list(strings_in(get_list(container, name, path, errs), child(path, name), errs))
    for name in ("workingDir", "terminationMessagePath"):
        get_str(container, name, path, errs)
    for flag in FLAGS:
        get_bool(container, flag, path, errs)
    errs += required_one_of(child(path, "imagePullPolicy"), container.get("imagePullPolicy"), PULL_POLICIES)
    errs += required_one_of(child(path, "terminationMessagePolicy"), container.get("terminationMessagePolicy"),
                            TERMINATION_MESSAGE_POLICIES)
    errs += _validate_ports(container, path, host_network)
    errs += validate_env(container, path)
    errs += validate_env_from(container, path)
    errs += validate_resource_requirements(container, path)
    errs += validate_volume_mounts(container, path, volume_names)
    errs += validate_container_security_context(container, path)
    errs += _validate_restart_policy_and_hooks(container, path, is_init)
    return errs


def _validate_image(container: dict[str, Any], path: str) -> list[Cause]:
    image, image_path = container.get("image"), child(path, "image")
    if image is None or image == "":
        return [required(image_path)]
    if not isinstance(image, str):
        return [invalid(image_path, image, "must be a string")]
    if image != image.strip():
        return [invalid(image_path, image, "must not have leading or trailing whitespace")]
    return []


def _validate_restart_policy_and_hooks(container: dict[str, Any], path: str, is_init: bool) -> list[Cause]:
    """Only init containers may set restartPolicy (Always: a sidecar); plain init containers run no probes."""
    errs: list[Cause] = []
    restart_policy = container.get("restartPolicy")
    restart_path = child(path, "restartPolicy")
    if restart_policy is not None and not is_init:
        errs.append(forbidden(restart_path, "may not be set for non-init containers"))
    elif restart_policy is not None and restart_policy != "Always":
        errs.append(not_supported(restart_path, restart_policy, ("Always",)))
    is_plain_init = is_init and restart_policy != "Always"
    for probe_name, success_must_be_one in PROBES.items():
        if container.get(probe_name) is None:
            continue
        if is_plain_init:
            errs.append(forbidden(child(path, probe_name), "may not be set for init containers without "
                                                             "restartPolicy=Always"))
            continue
        probe = container[probe_name]
        if not isinstance(probe, dict):
            errs.append(invalid(child(path, probe_name), probe, "must be an object"))
            continue
        errs += validate_probe(probe, child(path, probe_name), success_must_be_one=success_must_be_one)
    if is_plain_init and container.get("lifecycle") is not None:
        errs.append(forbidden(child(path, "lifecycle"), "may not be set for init containers without "
                                                        "restartPolicy=Always"))
    elif not is_plain_init:
        errs += validate_lifecycle(container, path)
    return errs


def _validate_ports(container: dict[str, Any], path: str, host_network: bool) -> list[Cause]:
    errs: list[Cause] = []
    names: set[str] = set()
    ports_path = child(path, "ports")
    for port_path, port in objects_in(get_list(container, "ports", path, errs), ports_path, errs):
        name = port.get("name")
        name_errs = check(child(port_path, "name"), name, port_name_problems)
        errs += name_errs
        if name and not name_errs:
            if name in names:
                errs.append(duplicate(child(port_path, "name"), name))
            names.add(name)
        errs += port_number_errors(child(port_path, "containerPort"), port.get("containerPort"))
        if port.get("hostPort") not in (None, 0):
            errs += port_number_errors(child(port_path, "hostPort"), port.get("hostPort"))
            if host_network and port.get("hostPort") != port.get("containerPort"):
                errs.append(invalid(child(port_path, "hostPort"), port.get("hostPort"),
                                    "must match `containerPort` when `hostNetwork` is true"))
        get_str(port, "hostIP", port_path, errs)
        errs += required_one_of(child(port_path, "protocol"), port.get("protocol"), PROTOCOLS)
    return errs
