"""PodDisruptionBudget (policy/v1), as Kubernetes' pkg/apis/policy/validation does it.

A PodDisruptionBudget says how many of the pods its selector picks must stay
up while someone *voluntarily* disrupts them (`kubectl drain`, the eviction
API). The budget is a count or a percentage:

- `minAvailable`: at least this many (or this share) must stay healthy, or
- `maxUnavailable`: at most this many (or this share) may be down;

they cannot both be set (neither is allowed too: the budget then allows no
disruption, as in Kubernetes). Counts are non-negative integers, percentages
at most 100%. An empty selector (`{}`) selects every pod of the namespace; a
missing one selects none. The status (written by the disruption controller
and the eviction subresource) holds non-negative counts only.
"""
from __future__ import annotations

from typing import Any

from .field import Cause, at_least, child, invalid, one_of, required, required_one_of
from .others import timestamp_errors
from .selectors import validate_label_selector
from .shapes import get_int, get_int_or_str, get_list, get_object, get_str, objects_in
from .workloads import _int_or_percent_errors as int_or_percent_errors
from .workloads import _percent as percent

BUDGET_FIELDS = ("minAvailable", "maxUnavailable")
UNHEALTHY_POD_EVICTION_POLICIES = ("IfHealthyBudget", "AlwaysAllow")
STATUS_COUNTS = ("disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods")
CONDITION_STATUSES = ("True", "False", "Unknown")


def validate_pod_disruption_budget(pdb: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    spec = get_object(pdb, "spec", "", errs)
    if all(spec.get(name) is not None for name in BUDGET_FIELDS):
        errs.append(invalid("spec", {name: spec[name] for name in BUDGET_FIELDS},
                            "minAvailable and maxUnavailable cannot be both set"))
    for name in BUDGET_FIELDS:
        path = child("spec", name)
        value = get_int_or_str(spec, name, "spec", errs)
        value_errs = int_or_percent_errors(path, value)
        errs += value_errs
        if isinstance(value, str) and not value_errs and percent(value) > 100:
            errs.append(invalid(path, value, "must not be greater than 100%"))
    errs += validate_label_selector(get_object(spec, "selector", "spec", errs), "spec.selector")
    errs += one_of("spec.unhealthyPodEvictionPolicy", get_str(spec, "unhealthyPodEvictionPolicy", "spec", errs),
                   UNHEALTHY_POD_EVICTION_POLICIES)
    return errs


def validate_pod_disruption_budget_status(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """ValidatePodDisruptionBudgetStatusUpdate: counts are >= 0, conditions are well-formed."""
    errs: list[Cause] = []
    status = get_object(new, "status", "", errs)
    for name in STATUS_COUNTS:
        errs += at_least(child("status", name), get_int(status, name, "status", errs), 0)
    get_int(status, "observedGeneration", "status", errs, bits=64)
    disrupted = get_object(status, "disruptedPods", "status", errs)
    for pod_name in disrupted:
        errs += timestamp_errors(disrupted, pod_name, "status.disruptedPods")
    conditions_path = "status.conditions"
    for path, condition in objects_in(get_list(status, "conditions", "status", errs), conditions_path, errs):
        for name in ("type", "reason"):
            if not get_str(condition, name, path, errs):
                errs.append(required(child(path, name)))
        errs += required_one_of(child(path, "status"), condition.get("status"), CONDITION_STATUSES)
        if not condition.get("lastTransitionTime"):
            errs.append(required(child(path, "lastTransitionTime")))
        errs += timestamp_errors(condition, "lastTransitionTime", path)
    return errs
