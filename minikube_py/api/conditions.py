"""Status conditions: apimachinery's pkg/api/meta/conditions.go (FindStatusCondition,
IsStatusConditionTrue, SetStatusCondition).

A condition is {"type", "status": "True"|"False"|"Unknown", "reason", "message",
"lastTransitionTime"}; an object has at most one of each type. lastTransitionTime
says when `status` last flipped, so setting a condition whose status did not change
keeps the old time.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from minikube_py.api import times
from minikube_py.api.meta import Obj


def find_condition(conditions: Iterable[Any] | None, kind: str) -> Obj | None:
    """The condition of type `kind`, None when there is none (entries that are not objects skipped)."""
    for condition in conditions or []:
        if isinstance(condition, dict) and condition.get("type") == kind:
            return condition
    return None


def is_true(condition: Mapping[str, Any] | None) -> bool:
    return condition is not None and condition.get("status") == "True"


def transition_time(old: Mapping[str, Any] | None, status: str) -> str:
    """The lastTransitionTime a condition with `status` gets: the old one's when its status is
    the same, else now."""
    if old is not None and old.get("status") == status and old.get("lastTransitionTime"):
        return str(old["lastTransitionTime"])
    return times.timestamp()


def set_condition(conditions: list[Obj], condition: Obj, now: str) -> list[Obj]:
    """meta.SetStatusCondition: add or update `condition` by type; lastTransitionTime changes
    only when the status does."""
    result = [dict(c) for c in conditions if isinstance(c, dict)]
    for existing in result:
        if existing.get("type") == condition["type"]:
            if existing.get("status") != condition["status"]:
                existing["lastTransitionTime"] = now
            existing.update({k: v for k, v in condition.items() if k != "lastTransitionTime"})
            return result
    return [*result, {**condition, "lastTransitionTime": now}]
