"""The downward API: a pod reading its own fields, as Kubernetes validates the references.

An env var (`valueFrom.fieldRef`, `valueFrom.resourceFieldRef`) or a
downwardAPI volume file can expose the pod's own name, namespace, labels, IP
or a container's cpu/memory requests and limits. Only a fixed set of field
paths is allowed, because the kubelet must know how to fill each one in.
"""
from __future__ import annotations

import re
from typing import Any

from .field import Cause, child, invalid, not_supported
from .names import check, dns1123_label_problems, qualified_name_problems
from .resources import quantity_errors
from .shapes import get_required_str

# Field paths an environment variable may read; volumes may read only the metadata ones.
METADATA_FIELD_PATHS = ("metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace",
                        "metadata.uid")
ENV_FIELD_PATHS = ("metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
                   "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs")
RESOURCE_FIELDS = ("limits.cpu", "limits.ephemeral-storage", "limits.memory",
                   "requests.cpu", "requests.ephemeral-storage", "requests.memory")
# metadata.labels['app'] reads one label (a subscript on a map field).
_SUBSCRIPTED = re.compile(r"(metadata\.(?:labels|annotations))\['(.*)'\]")


def validate_object_field_selector(ref: dict[str, Any], path: str, allowed: tuple[str, ...]) -> list[Cause]:
    """`fieldRef: {apiVersion: v1, fieldPath: metadata.name}`."""
    errs: list[Cause] = []
    get_required_str(ref, "apiVersion", path, errs)
    field_path = get_required_str(ref, "fieldPath", path, errs)
    if field_path is None:
        return errs
    subscripted = _SUBSCRIPTED.fullmatch(field_path)
    if subscripted:
        return errs + [invalid(child(path, "fieldPath"), subscripted[2], p)
                       for p in qualified_name_problems(subscripted[2].lower())]
    if field_path not in allowed:
        errs.append(not_supported(child(path, "fieldPath"), field_path, allowed))
    return errs


def validate_resource_field_selector(ref: dict[str, Any], path: str, *, container_required: bool) -> list[Cause]:
    """`resourceFieldRef: {containerName: app, resource: limits.memory, divisor: 1Mi}`."""
    errs: list[Cause] = []
    errs += check(child(path, "containerName"), ref.get("containerName"), dns1123_label_problems,
                  required_value=container_required)
    resource = get_required_str(ref, "resource", path, errs)
    if resource is not None and resource not in RESOURCE_FIELDS:
        errs.append(not_supported(child(path, "resource"), resource, RESOURCE_FIELDS))
    if ref.get("divisor") is not None:
        divisor_errs, divisor = quantity_errors(child(path, "divisor"), ref["divisor"])
        errs += divisor_errs
        if divisor is not None and divisor <= 0:
            errs.append(invalid(child(path, "divisor"), ref["divisor"], "must be greater than 0"))
    return errs
