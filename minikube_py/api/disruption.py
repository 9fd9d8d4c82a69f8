"""The rules of a PodDisruptionBudget that both of its writers apply.

Two parts of Kubernetes write a PodDisruptionBudget's status: the disruption
controller (kube-controller-manager) recomputes it from the pods, and the API
server's eviction subresource spends one allowed disruption per eviction.
Both use these rules (Kubernetes keeps them in k8s.io/component-helpers/apps/
poddisruptionbudget and the policy listers):

- which pods a budget covers: the selector, with policy/v1's meaning
  (`{}` selects every pod of the namespace, a missing selector none);
- how a percentage becomes a count (`intstr.GetScaledValueFromIntOrPercent`,
  rounding up: minAvailable 50% of 3 pods is 2);
- the `DisruptionAllowed` condition: True/SufficientPods while
  `disruptionsAllowed > 0`, else False/InsufficientPods, set the way
  `meta.SetStatusCondition` does (lastTransitionTime moves only when the
  status changes).
"""
from __future__ import annotations

import math

from minikube_py.api.conditions import find_condition, set_condition
from minikube_py.api.meta import Obj
from minikube_py.api.selectors import SelectorError, label_selector_from_dict

DISRUPTION_ALLOWED = "DisruptionAllowed"
SUFFICIENT_PODS = "SufficientPods"
INSUFFICIENT_PODS = "InsufficientPods"
SYNC_FAILED = "SyncFailed"


def covers(pdb: Obj, pod: Obj) -> bool:
    """Whether the budget's selector selects the pod (same namespace; an invalid selector selects nothing)."""
    pod_meta, pdb_meta = pod.get("metadata") or {}, pdb.get("metadata") or {}
    if pod_meta.get("namespace") != pdb_meta.get("namespace"):
        return False
    try:
        selector = label_selector_from_dict((pdb.get("spec") or {}).get("selector"))
    except SelectorError:
        return False
    return selector.matches(pod_meta.get("labels"))


def scaled_value(value: int | str, total: int, round_up: bool) -> int:
    """An IntOrString as a count: integers as they are, "N%" as N% of `total`, rounded up or down."""
    if isinstance(value, int):
        return value
    if not value.endswith("%") or not value[:-1].isdigit():
        raise ValueError(f"invalid value for IntOrString: invalid value {value!r}")
    share = int(value[:-1]) * total / 100
    return math.ceil(share) if round_up else math.floor(share)


def disruption_allowed_condition(status: Obj) -> Obj:
    """The DisruptionAllowed condition that matches status.disruptionsAllowed."""
    allowed = (status.get("disruptionsAllowed") or 0) > 0
    return {"type": DISRUPTION_ALLOWED, "status": "True" if allowed else "False",
            "reason": SUFFICIENT_PODS if allowed else INSUFFICIENT_PODS, "message": "",
            "observedGeneration": status.get("observedGeneration") or 0}


def update_disruption_allowed_condition(status: Obj, now: str) -> None:
    """UpdateDisruptionAllowedCondition: set the condition from disruptionsAllowed, in place."""
    status["conditions"] = set_condition(status.get("conditions") or [], disruption_allowed_condition(status), now)


def conditions_are_up_to_date(pdb: Obj) -> bool:
    """ConditionsAreUpToDate: the condition exists, was computed for this generation and agrees
    with disruptionsAllowed."""
    status = pdb.get("status") or {}
    condition = find_condition(status.get("conditions"), DISRUPTION_ALLOWED)
    if condition is None or status.get("observedGeneration") != (pdb.get("metadata") or {}).get("generation"):
        return False
    wanted = disruption_allowed_condition(status)
    return bool(condition.get("status") == wanted["status"] and condition.get("reason") == wanted["reason"])
