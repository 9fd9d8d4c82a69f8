"""Taints and tolerations: the well-known taints of k8s.io/api/core/v1 (well_known_taints.go)
and the matching rules of k8s.io/component-helpers/scheduling/corev1 (v1.Toleration.
ToleratesTaint, TolerationsTolerateTaint, FindMatchingUntoleratedTaint).

A taint {key, value, effect} on a node repels pods that do not tolerate it:

- NoSchedule        no new pod is placed there (the scheduler's TaintToleration filter);
- PreferNoSchedule  the scheduler avoids the node when it can (a score);
- NoExecute         running pods are evicted too (controllers/taint_eviction.py), after
                    the toleration's tolerationSeconds if it has one.

The node lifecycle controller puts the node.kubernetes.io/* taints below on nodes whose
conditions say so; the DaemonSet controller and the DefaultTolerationSeconds admission
add tolerations for some of them. Everyone reads the keys from here.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE = "NoSchedule", "PreferNoSchedule", "NoExecute"

NOT_READY = "node.kubernetes.io/not-ready"                      # Ready=False
UNREACHABLE = "node.kubernetes.io/unreachable"                  # Ready=Unknown (no heartbeat)
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"              # spec.unschedulable (cordon)
MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure"
DISK_PRESSURE = "node.kubernetes.io/disk-pressure"
PID_PRESSURE = "node.kubernetes.io/pid-pressure"
NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"

Taint = Mapping[str, Any]
Toleration = Mapping[str, Any]


def tolerates(toleration: Toleration, taint: Taint) -> bool:
    """v1.Toleration.ToleratesTaint: effect (empty = any), key (empty with Exists = any), operator
    Exists (any value) or Equal (the default: same value)."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    return operator == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def tolerated_by_any(taint: Taint, tolerations: Iterable[Toleration]) -> bool:
    """TolerationsTolerateTaint."""
    return any(tolerates(toleration, taint) for toleration in tolerations)


def first_untolerated(taints: Iterable[Taint], tolerations: Iterable[Toleration],
                      effects: tuple[str, ...]) -> Taint | None:
    """FindMatchingUntoleratedTaint: the first taint with one of `effects` that no toleration
    tolerates, None when all are tolerated."""
    tolerations = list(tolerations)
    for taint in taints:
        if taint.get("effect") in effects and not tolerated_by_any(taint, tolerations):
            return taint
    return None


def node_taints(node: Mapping[str, Any] | None) -> list[Taint]:
    """A Node object's spec.taints (entries that are not objects skipped)."""
    return [t for t in ((node or {}).get("spec") or {}).get("taints") or [] if isinstance(t, dict)]


def pod_tolerations(pod_spec: Mapping[str, Any]) -> list[Toleration]:
    """A pod spec's tolerations (entries that are not objects skipped)."""
    return [t for t in pod_spec.get("tolerations") or [] if isinstance(t, dict)]
