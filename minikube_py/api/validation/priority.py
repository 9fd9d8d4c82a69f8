"""PriorityClass (scheduling.k8s.io/v1), as Kubernetes' pkg/apis/scheduling/validation does it.

A PriorityClass names an integer priority; pods refer to it by
`spec.priorityClassName` and get `spec.priority` filled in when they are
created (apiserver/priority.py, the Priority admission plugin).

- `value` is an int32; user classes may use at most 1,000,000,000 (higher values are
  for the system classes `system-cluster-critical` and `system-node-critical`);
- names starting with `system-` are reserved for those two classes;
- `preemptionPolicy` is PreemptLowerPriority (the default) or Never;
- neither `value` nor `preemptionPolicy` may change in an update.
"""
from __future__ import annotations

from typing import Any

from .field import Cause, forbidden, immutable, one_of
from .shapes import dig, get_bool, get_int, get_str

HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000
SYSTEM_PRIORITY_CLASS_PREFIX = "system-"
# The classes Kubernetes' API server creates at start, with their fixed values.
SYSTEM_PRIORITY_CLASSES = {"system-cluster-critical": 2_000_000_000, "system-node-critical": 2_000_001_000}
PREEMPTION_POLICIES = ("PreemptLowerPriority", "Never")


def validate_priority_class(pc: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    value = get_int(pc, "value", "", errs)
    get_bool(pc, "globalDefault", "", errs)
    get_str(pc, "description", "", errs)
    policy = get_str(pc, "preemptionPolicy", "", errs)
    if policy is not None:
        errs += one_of("preemptionPolicy", policy, PREEMPTION_POLICIES)
    name = dig(pc, "metadata").get("name")
    if isinstance(name, str) and name.startswith(SYSTEM_PRIORITY_CLASS_PREFIX):
        if SYSTEM_PRIORITY_CLASSES.get(name) != (value or 0):
            errs.append(forbidden("metadata.name", f"priority class names with '{SYSTEM_PRIORITY_CLASS_PREFIX}' "
                                                   "prefix are reserved for system use only"))
    elif value is not None and value > HIGHEST_USER_DEFINABLE_PRIORITY:
        errs.append(forbidden("value", f"maximum allowed value of a user defined priority is "
                                       f"{HIGHEST_USER_DEFINABLE_PRIORITY}"))
    return errs


def validate_priority_class_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    if (new.get("value") or 0) != (old.get("value") or 0):
        errs.append(forbidden("value", "may not be changed in an update."))
    errs += immutable("preemptionPolicy", new.get("preemptionPolicy"), old.get("preemptionPolicy"))
    return errs
