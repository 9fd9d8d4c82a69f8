"""Deployment status and conditions: Kubernetes' deployment/sync.go calculateStatus and
deployment/progress.go syncRolloutStatus, as pure functions.

    Available    True  MinimumReplicasAvailable    at least replicas - maxUnavailable pods available
                 False MinimumReplicasUnavailable
    Progressing  True  NewReplicaSetCreated / FoundNewReplicaSet / ReplicaSetUpdated (lastUpdateTime
                       moves on every step of progress)
                 True  NewReplicaSetAvailable      the rollout is complete
                 False ProgressDeadlineExceeded    no progress for progressDeadlineSeconds
                 Unknown DeploymentPaused / DeploymentResumed
"""
from __future__ import annotations

from datetime import timedelta

from controllers import deployment_util as du
from controllers.deployment_util import Obj
from minikube_py.api import times
from minikube_py.api.conditions import find_condition, transition_time


def replica_counts(deployment: Obj, all_sets: list[Obj], new_rs: Obj | None) -> Obj:
    available = du.total_actual(all_sets, "availableReplicas")
    return {
        "observedGeneration": deployment["metadata"].get("generation", 0),
        "replicas": du.total_actual(all_sets, "replicas"),
        "updatedReplicas": du.status_count(new_rs, "replicas") if new_rs else 0,
        "readyReplicas": du.total_actual(all_sets, "readyReplicas"),
        "availableReplicas": available,
        "unavailableReplicas": max(du.total_replicas(all_sets) - available, 0),
    }


def set_condition(status: Obj, kind: str, state: str, reason: str, message: str) -> None:
    """Set a condition; lastUpdateTime always moves, lastTransitionTime only when status changes."""
    stamp = times.timestamp()
    old = find_condition(status.get("conditions"), kind)
    if old is not None and old.get("status") == state and old.get("reason") == reason \
            and old.get("message") == message and reason not in ("ReplicaSetUpdated",):
        return
    transition = transition_time(old, state)
    others = [c for c in status.get("conditions") or [] if c.get("type") != kind]
    status["conditions"] = [*others, {"type": kind, "status": state, "lastUpdateTime": stamp,
                                      "lastTransitionTime": transition, "reason": reason, "message": message}]


def is_complete(deployment: Obj, status: Obj) -> bool:
    desired = du.replicas(deployment)
    return (status["updatedReplicas"] == desired and status["replicas"] == desired
            and status["availableReplicas"] == desired
            and status["observedGeneration"] >= deployment["metadata"].get("generation", 0))


def made_progress(old: Obj, new: Obj) -> bool:
    """Kubernetes' DeploymentProgressing: more updated, fewer old, more ready or more available."""
    def old_pods(status: Obj) -> int:
        return int(status.get("replicas") or 0) - int(status.get("updatedReplicas") or 0)
    return (new["updatedReplicas"] > int(old.get("updatedReplicas") or 0)
            or old_pods(new) < old_pods(old)
            or new["readyReplicas"] > int(old.get("readyReplicas") or 0)
            or new["availableReplicas"] > int(old.get("availableReplicas") or 0))


def deadline_seconds(deployment: Obj) -> int | None:
    value = deployment["spec"].get("progressDeadlineSeconds")
    return int(value) if value is not None else None


def seconds_until_deadline(deployment: Obj, status: Obj) -> float | None:
    """Seconds left before the Progressing condition times out (<= 0: timed out), None if no deadline runs."""
    deadline = deadline_seconds(deployment)
    condition = find_condition(status.get("conditions"), "Progressing")
    if deadline is None or condition is None or condition.get("reason") in (
            "NewReplicaSetAvailable", "ProgressDeadlineExceeded", "DeploymentPaused"):
        return None
    last = times.parse_time(condition.get("lastUpdateTime"))
    if last is None:
        return None
    return (last + timedelta(seconds=deadline) - times.now()).total_seconds()


def calculate_status(deployment: Obj, all_sets: list[Obj], new_rs: Obj | None, note: tuple[str, str] | None) -> Obj:
    """The whole new status. `note` is (reason, message) from this sync's ReplicaSet step
    (NewReplicaSetCreated, FoundNewReplicaSet) if any."""
    old = deployment.get("status") or {}
    status: Obj = {**replica_counts(deployment, all_sets, new_rs), "conditions": list(old.get("conditions") or [])}
    if old.get("collisionCount"):
        status["collisionCount"] = old["collisionCount"]
    min_available = du.replicas(deployment) - du.max_unavailable(deployment)
    if status["availableReplicas"] >= min_available:
        set_condition(status, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
    else:
        set_condition(status, "Available", "False", "MinimumReplicasUnavailable",
                      "Deployment does not have minimum availability.")
    if deadline_seconds(deployment) is not None:
        progress_condition(deployment, old, status, new_rs, note)
    return status


def progress_condition(deployment: Obj, old: Obj, status: Obj, new_rs: Obj | None,
                       note: tuple[str, str] | None) -> None:
    name = new_rs["metadata"]["name"] if new_rs else deployment["metadata"]["name"]
    current = find_condition(status.get("conditions"), "Progressing")
    if deployment["spec"].get("paused"):
        set_condition(status, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused")
    elif current is not None and current.get("reason") == "DeploymentPaused":
        set_condition(status, "Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed")
    elif is_complete(deployment, status):
        set_condition(status, "Progressing", "True", "NewReplicaSetAvailable",
                      f'ReplicaSet "{name}" has successfully progressed.')
    elif note is not None:
        set_condition(status, "Progressing", "True", *note)
    elif made_progress(old, status) or current is None:
        set_condition(status, "Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{name}" is progressing.')
    elif (seconds_until_deadline(deployment, status) or 1) <= 0:
        set_condition(status, "Progressing", "False", "ProgressDeadlineExceeded",
                      f'ReplicaSet "{name}" has timed out progressing.')
