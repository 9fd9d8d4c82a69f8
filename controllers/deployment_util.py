"""The Deployment controller's arithmetic: Kubernetes' pkg/controller/deployment/util.

Pure functions on plain dicts, so each rule can be read and unit-tested alone:
fenceposts (maxSurge / maxUnavailable), how far the new ReplicaSet may grow and
the old ones shrink during a rolling update, proportional scaling while a
rollout is in flight, the pod-template hash, revisions and conditions.

The pod-template hash. Kubernetes hashes the template with FNV-32a over a
deterministic printout of the Go struct (plus status.collisionCount) and
encodes the number with an alphabet without vowels (so no words appear). We do
the same over the template's canonical JSON (sorted keys, no spaces, the
pod-template-hash label left out) followed by the collisionCount in decimal.
The value is not the one real Kubernetes would compute, but it has the same
properties: stable for a template, different when the template changes.
"""
from __future__ import annotations

import copy
import json
import math

from minikube_py.api.meta import Obj

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


# ---- the pod-template hash -------------------------------------------------------------

def without_hash_label(template: Obj) -> Obj:
    template = copy.deepcopy(template or {})
    labels = (template.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(HASH_LABEL, None)
    return template


def fnv32a(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def safe_encode(number: int) -> str:
    """Kubernetes' rand.SafeEncodeString of the decimal digits: each character mapped
    into an alphabet with no vowels and no look-alikes."""
    return "".join(SAFE_ALPHABET[ord(ch) % len(SAFE_ALPHABET)] for ch in str(number))


def template_hash(template: Obj, collision_count: int = 0) -> str:
    canonical = json.dumps(without_hash_label(template), sort_keys=True, separators=(",", ":"))
    return safe_encode(fnv32a(f"{canonical}{collision_count or ''}".encode()))


def templates_equal(a: Obj, b: Obj) -> bool:
    """Kubernetes' EqualIgnoreHash: same template apart from the pod-template-hash label."""
    return without_hash_label(a) == without_hash_label(b)


# ---- fenceposts ------------------------------------------------------------------------

def scaled_value(value: int | str | None, total: int, round_up: bool, default: str) -> int:
    """An IntOrString of the API: an int as is, "25%" of `total` rounded up or down."""
    if value is None:
        value = default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        exact = int(value[:-1]) * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise ValueError(f"invalid int-or-percent value {value!r}")


def replicas(obj: Obj | None) -> int:
    if obj is None:
        return 0
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def rolling_params(deployment: Obj) -> Obj:
    strategy = (deployment.get("spec") or {}).get("strategy") or {}
    return strategy.get("rollingUpdate") or {}


def is_rolling(deployment: Obj) -> bool:
    strategy = (deployment.get("spec") or {}).get("strategy") or {}
    return strategy.get("type", "RollingUpdate") == "RollingUpdate"


def fenceposts(deployment: Obj) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as pod counts: surge rounds up, unavailable down; if both
    come out 0 the rollout could never move, so unavailable becomes 1 (ResolveFenceposts)."""
    desired = replicas(deployment)
    params = rolling_params(deployment)
    surge = scaled_value(params.get("maxSurge"), desired, True, "25%")
    unavailable = scaled_value(params.get("maxUnavailable"), desired, False, "25%")
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(deployment: Obj) -> int:
    return fenceposts(deployment)[0] if is_rolling(deployment) else 0


def max_unavailable(deployment: Obj) -> int:
    """Pods that may be unavailable during a rollout (never more than the desired count)."""
    if not is_rolling(deployment) or replicas(deployment) == 0:
        return 0
    return min(fenceposts(deployment)[1], replicas(deployment))


# ---- counting replica sets -------------------------------------------------------------

def status_count(obj: Obj, field: str) -> int:
    return int((obj.get("status") or {}).get(field) or 0)


def total_replicas(replica_sets: list[Obj]) -> int:
    return sum(replicas(rs) for rs in replica_sets)


def total_actual(replica_sets: list[Obj], field: str = "replicas") -> int:
    return sum(status_count(rs, field) for rs in replica_sets)


# ---- a rolling update step -------------------------------------------------------------

def new_rs_target(deployment: Obj, all_sets: list[Obj], new_rs: Obj) -> int:
    """How big the new ReplicaSet may be now (NewRSNewReplicas): up to replicas + maxSurge
    pods in total, never above the desired count. Recreate jumps straight to it."""
    desired = replicas(deployment)
    if not is_rolling(deployment):
        return desired
    current_total = total_replicas(all_sets)
    allowed_total = desired + max_surge(deployment)
    if current_total >= allowed_total:
        return replicas(new_rs)
    grow_by = min(allowed_total - current_total, desired - replicas(new_rs))
    return replicas(new_rs) + max(grow_by, 0)


def old_scale_down_budget(deployment: Obj, all_sets: list[Obj], new_rs: Obj | None) -> int:
    """How many old pods may go without dropping under replicas - maxUnavailable, counting
    the new ReplicaSet's not-yet-available pods as already unavailable."""
    min_available = replicas(deployment) - max_unavailable(deployment)
    new_unavailable = replicas(new_rs) - status_count(new_rs, "availableReplicas") if new_rs else 0
    return total_replicas(all_sets) - min_available - new_unavailable


def cleanup_unhealthy(old_sets: list[Obj], budget: int) -> dict[str, int]:
    """First shrink old ReplicaSets by their unavailable pods (oldest first): removing a pod
    that serves nothing costs no availability. Returns name -> new size."""
    targets: dict[str, int] = {}
    spent = 0
    for rs in sorted(old_sets, key=creation_order):
        unhealthy = replicas(rs) - status_count(rs, "availableReplicas")
        if spent >= budget or unhealthy <= 0 or replicas(rs) == 0:
            continue
        cut = min(budget - spent, unhealthy)
        targets[rs["metadata"]["name"]] = replicas(rs) - cut
        spent += cut
    return targets


def scale_down_available(deployment: Obj, all_sets: list[Obj], old_sets: list[Obj]) -> dict[str, int]:
    """Then shrink old ReplicaSets (oldest first) by as many available pods as can go
    while replicas - maxUnavailable stay available. Returns name -> new size."""
    min_available = replicas(deployment) - max_unavailable(deployment)
    budget = total_actual(all_sets, "availableReplicas") - min_available
    targets: dict[str, int] = {}
    for rs in sorted(old_sets, key=creation_order):
        if budget <= 0:
            break
        if replicas(rs) == 0:
            continue
        cut = min(replicas(rs), budget)
        targets[rs["metadata"]["name"]] = replicas(rs) - cut
        budget -= cut
    return targets


def creation_order(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return meta.get("creationTimestamp") or "", meta.get("name") or ""


# ---- proportional scaling --------------------------------------------------------------

def annotation_int(obj: Obj, name: str) -> int | None:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def is_scaling_event(deployment: Obj, active_sets: list[Obj]) -> bool:
    """The desired count changed under running ReplicaSets (they remember the count they were
    last sized for in the desired-replicas annotation)."""
    return any(annotation_int(rs, DESIRED_REPLICAS) not in (None, replicas(deployment)) for rs in active_sets)


def proportional_targets(deployment: Obj, active_sets: list[Obj]) -> dict[str, int]:
    """Spread a change of spec.replicas over several active ReplicaSets in proportion to
    their sizes (deployment/sync.go `scale`), so a paused or half-done rollout keeps its
    mix. The leftover from rounding goes to the biggest (newest on ties) set."""
    allowed = replicas(deployment) + max_surge(deployment)
    to_add = allowed - total_replicas(active_sets)
    if to_add == 0 or not active_sets:
        return {}
    growing = to_add > 0
    # biggest first; on equal size the newer set first when growing, the older when shrinking
    by_age = sorted(active_sets, key=creation_order, reverse=growing)
    ordered = sorted(by_age, key=replicas, reverse=True)
    targets: dict[str, int] = {}
    added = 0
    for rs in ordered:
        share = proportion(rs, deployment, to_add, added)
        targets[rs["metadata"]["name"]] = replicas(rs) + share
        added += share
    leftover = to_add - added
    if leftover:
        first = ordered[0]["metadata"]["name"]
        targets[first] = max(targets[first] + leftover, 0)
    return targets


def proportion(rs: Obj, deployment: Obj, to_add: int, added: int) -> int:
    if replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = replica_set_fraction(rs, deployment)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def replica_set_fraction(rs: Obj, deployment: Obj) -> int:
    if replicas(deployment) == 0:
        return -replicas(rs)
    deployment_total = replicas(deployment) + max_surge(deployment)
    annotated = annotation_int(rs, MAX_REPLICAS) or status_count(deployment, "replicas") or deployment_total
    return round_half_up(replicas(rs) * deployment_total / annotated) - replicas(rs)


def round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


# ---- revisions -------------------------------------------------------------------------

def revision(obj: Obj | None) -> int:
    return (annotation_int(obj, REVISION) or 0) if obj else 0


def max_revision(replica_sets: list[Obj]) -> int:
    return max((revision(rs) for rs in replica_sets), default=0)


def revision_annotations(rs: Obj, next_revision: int) -> dict[str, str]:
    """Annotations that give `rs` the next revision; a reused set (a rollback) keeps its
    old revision numbers in revision-history, as Kubernetes does."""
    annotations = dict((rs.get("metadata") or {}).get("annotations") or {})
    old = revision(rs)
    if old and old < next_revision:
        history = [h for h in annotations.get(REVISION_HISTORY, "").split(",") if h]
        annotations[REVISION_HISTORY] = ",".join([*history, str(old)])
    if old < next_revision:
        annotations[REVISION] = str(next_revision)
    return annotations


def sizing_annotations(deployment: Obj) -> dict[str, str]:
    return {DESIRED_REPLICAS: str(replicas(deployment)),
            MAX_REPLICAS: str(replicas(deployment) + max_surge(deployment))}
