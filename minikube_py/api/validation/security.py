"""Security contexts (pod-wide and per container): the shape and ranges Kubernetes checks.

The node agent turns these into Docker options (user, group, privileged,
read-only root filesystem, capabilities); validation makes sure each is of the
right type and a user or group id fits a Linux uid/gid.
"""
from __future__ import annotations

from typing import Any

from .field import Cause, child, in_range, index
from .shapes import as_int, get_bool, get_int, get_list, get_object, strings_in

MAX_ID = 2**32 - 1
POD_ID_FIELDS = ("runAsUser", "runAsGroup", "fsGroup")
CONTAINER_ID_FIELDS = ("runAsUser", "runAsGroup")
POD_FLAGS = ("runAsNonRoot",)
CONTAINER_FLAGS = ("runAsNonRoot", "privileged", "readOnlyRootFilesystem", "allowPrivilegeEscalation")


def validate_pod_security_context(spec: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    context = get_object(spec, "securityContext", path, errs)
    context_path = child(path, "securityContext")
    errs += _validate_ids(context, context_path, POD_ID_FIELDS)
    for flag in POD_FLAGS:
        get_bool(context, flag, context_path, errs)
    groups_path = child(context_path, "supplementalGroups")
    for position, group in enumerate(get_list(context, "supplementalGroups", context_path, errs)):
        group_path = index(groups_path, position)
        errs += in_range(group_path, as_int(group, group_path, errs, bits=64), 0, MAX_ID)
    return errs


def validate_container_security_context(container: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    context = get_object(container, "securityContext", path, errs)
    context_path = child(path, "securityContext")
    errs += _validate_ids(context, context_path, CONTAINER_ID_FIELDS)
    for flag in CONTAINER_FLAGS:
        get_bool(context, flag, context_path, errs)
    capabilities = get_object(context, "capabilities", context_path, errs)
    capabilities_path = child(context_path, "capabilities")
    for change in ("add", "drop"):
        list(strings_in(get_list(capabilities, change, capabilities_path, errs),
                        child(capabilities_path, change), errs))
    return errs


def _validate_ids(context: dict[str, Any], path: str, names: tuple[str, ...]) -> list[Cause]:
    errs: list[Cause] = []
    for name in names:
        errs += in_range(child(path, name), get_int(context, name, path, errs, bits=64), 0, MAX_ID)
    return errs
