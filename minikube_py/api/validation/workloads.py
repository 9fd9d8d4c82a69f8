"""Deployments, ReplicaSets, DaemonSets and Jobs, as pkg/apis/{apps,batch}/validation do it.

Every workload owns pods through a label selector and creates them from a pod
template; the selector must select the template's labels, or the controller
would create pods it cannot see and never stop. In apps/v1 and batch/v1 the
selector is fixed at creation: changing it would orphan the existing pods.
"""
from __future__ import annotations

from typing import Any, TypeGuard

from minikube_py.api.selectors import SelectorError, label_selector_from_dict

from .field import (
    Cause,
    at_least,
    child,
    forbidden,
    immutable,
    invalid,
    not_supported,
    one_of,
    required,
    required_one_of,
)
from .names import percent_problems
from .pods import RESTART_POLICIES, validate_pod_template
from .selectors import validate_label_selector
from .shapes import dig, get_bool, get_int, get_int_or_str, get_object

DEPLOYMENT_STRATEGIES = ("Recreate", "RollingUpdate")
DAEMON_SET_STRATEGIES = ("OnDelete", "RollingUpdate")
COMPLETION_MODES = ("NonIndexed", "Indexed")
APPS_RESTART_POLICIES = ("Always",)            # a workload's pods run forever
JOB_RESTART_POLICIES = ("OnFailure", "Never")  # a job's pods run to completion
INT32_FIELDS = ("replicas", "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds",
                "parallelism", "completions", "backoffLimit", "ttlSecondsAfterFinished")


def validate_deployment(deployment: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    spec = get_object(deployment, "spec", "", errs)
    errs += _validate_owner_of_pods(spec, "deployment", APPS_RESTART_POLICIES)
    errs += _validate_nonnegative_counts(spec)
    get_bool(spec, "paused", "spec", errs)
    progress_deadline, min_ready = spec.get("progressDeadlineSeconds"), spec.get("minReadySeconds") or 0
    if _is_int(progress_deadline) and _is_int(min_ready) and progress_deadline <= min_ready:
        errs.append(invalid("spec.progressDeadlineSeconds", progress_deadline, "must be greater than minReadySeconds"))
    return errs + _validate_update_strategy(spec, "strategy", DEPLOYMENT_STRATEGIES, "Recreate")


def validate_replica_set(replica_set: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    spec = get_object(replica_set, "spec", "", errs)
    return (errs + _validate_owner_of_pods(spec, "replicaset", APPS_RESTART_POLICIES)
            + _validate_nonnegative_counts(spec))


def validate_replication_controller(rc: dict[str, Any]) -> list[Cause]:
    """A ReplicaSet whose selector is a plain label map (core/v1's older shape)."""
    errs: list[Cause] = []
    spec = get_object(rc, "spec", "", errs)
    selector = spec.get("selector")
    if selector is not None and not (isinstance(selector, dict)
                                     and all(isinstance(v, str) for v in selector.values())):
        return errs + [invalid("spec.selector", selector, "must be a map of label keys to values")]
    as_label_selector = {**spec, "selector": {"matchLabels": selector}} if selector is not None else spec
    return (errs + _validate_owner_of_pods(as_label_selector, "replicationcontroller", APPS_RESTART_POLICIES)
            + _validate_nonnegative_counts(spec))


def validate_daemon_set(daemon_set: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    spec = get_object(daemon_set, "spec", "", errs)
    errs += _validate_owner_of_pods(spec, "daemonset", APPS_RESTART_POLICIES)
    errs += _validate_nonnegative_counts(spec)
    return errs + _validate_update_strategy(spec, "updateStrategy", DAEMON_SET_STRATEGIES, "OnDelete")


def validate_job(job: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    spec = get_object(job, "spec", "", errs)
    errs += _validate_owner_of_pods(spec, "job", JOB_RESTART_POLICIES)
    errs += _validate_nonnegative_counts(spec)
    errs += at_least("spec.activeDeadlineSeconds", get_int(spec, "activeDeadlineSeconds", "spec", errs, bits=64), 0)
    for flag in ("suspend", "manualSelector"):
        get_bool(spec, flag, "spec", errs)
    completion_mode = spec.get("completionMode")
    errs += one_of("spec.completionMode", completion_mode, COMPLETION_MODES)
    if completion_mode == "Indexed" and spec.get("completions") is None:
        errs.append(required("spec.completions", "when completion mode is Indexed"))
    return errs


# -- what all workloads share ------------------------------------------------------
def _validate_owner_of_pods(spec: dict[str, Any], kind: str, restart_policies: tuple[str, ...]) -> list[Cause]:
    """The selector, the pod template, and that the one selects the other."""
    errs: list[Cause] = []
    if spec.get("selector") is None:
        errs.append(required("spec.selector"))
    selector = get_object(spec, "selector", "spec", errs)
    selector_errs = validate_label_selector(selector, "spec.selector")
    errs += selector_errs + validate_pod_template(spec, "spec")
    if isinstance(spec.get("selector"), dict) and not selector_errs:
        errs += _selects_template(selector, dig(spec, "template", "metadata", "labels"), kind)
    pod_spec = dig(spec, "template", "spec")
    restart_policy = pod_spec.get("restartPolicy")
    if restart_policy in RESTART_POLICIES and restart_policy not in restart_policies:
        errs.append(not_supported("spec.template.spec.restartPolicy", restart_policy, restart_policies))
    if kind != "job" and pod_spec.get("activeDeadlineSeconds") is not None:
        errs.append(invalid("spec.template.spec.activeDeadlineSeconds", pod_spec["activeDeadlineSeconds"],
                            "activeDeadlineSeconds in ReplicaSet is not Supported"))
    return errs


def _selects_template(selector: dict[str, Any], labels: dict[str, Any], kind: str) -> list[Cause]:
    """The selector must be non-empty and select the template's labels (else pods are created forever)."""
    try:
        parsed = label_selector_from_dict(selector)
    except SelectorError as error:
        return [invalid("spec.selector", selector, str(error))]
    if parsed.empty:
        return [invalid("spec.selector", selector, f"empty selector is invalid for {kind}")]
    if not parsed.matches(labels):
        return [invalid("spec.template.metadata.labels", labels, "`selector` does not match template `labels`")]
    return []


def _validate_nonnegative_counts(spec: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    for name in INT32_FIELDS:
        errs += at_least(child("spec", name), get_int(spec, name, "spec", errs), 0)
    return errs


def _validate_update_strategy(spec: dict[str, Any], name: str, types: tuple[str, ...],
                              replace_all_type: str) -> list[Cause]:
    """How to roll out a new template: all at once (Recreate / OnDelete) or gradually (RollingUpdate)."""
    errs: list[Cause] = []
    path = child("spec", name)
    strategy = get_object(spec, name, "spec", errs)
    strategy_type = strategy.get("type")
    errs += required_one_of(child(path, "type"), strategy_type, types)
    rolling_path = child(path, "rollingUpdate")
    if strategy_type == replace_all_type and strategy.get("rollingUpdate") is not None:
        errs.append(forbidden(rolling_path, f"may not be specified when strategy `type` is '{replace_all_type}'"))
    elif strategy_type == "RollingUpdate":
        errs += _validate_rolling_update(get_object(strategy, "rollingUpdate", path, errs), rolling_path)
    return errs


def _validate_rolling_update(rolling: dict[str, Any], path: str) -> list[Cause]:
    """maxUnavailable and maxSurge: a count or a percentage; at least one must let the rollout move."""
    errs: list[Cause] = []
    values = {}
    for name in ("maxUnavailable", "maxSurge"):
        value = get_int_or_str(rolling, name, path, errs)
        value_errs = _int_or_percent_errors(child(path, name), value)
        errs += value_errs
        values[name] = value if not value_errs else None
    unavailable, surge = values["maxUnavailable"], values["maxSurge"]
    if _is_zero(unavailable) and _is_zero(surge):
        errs.append(invalid(child(path, "maxUnavailable"), unavailable, "may not be 0 when `maxSurge` is 0"))
    if isinstance(unavailable, str) and _percent(unavailable) > 100:
        errs.append(invalid(child(path, "maxUnavailable"), unavailable, "must not be greater than 100%"))
    return errs


def _int_or_percent_errors(path: str, value: int | str | None) -> list[Cause]:
    if isinstance(value, str):
        return [invalid(path, value, problem) for problem in percent_problems(value)]
    return at_least(path, value, 0)


def _is_zero(value: int | str | None) -> bool:
    return value == 0 or isinstance(value, str) and _percent(value) == 0


def _percent(value: str) -> int:
    """'25%' -> 25 (for a value that passed percent_problems); absurdly long numbers count as huge."""
    digits = value.removesuffix("%").lstrip("0") or "0"
    return int(digits) if len(digits) <= 6 else 10**6


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


# -- updates -------------------------------------------------------------------------
def validate_selector_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """apps/v1: the selector is fixed at creation."""
    return immutable("spec.selector", dig(new, "spec").get("selector"), dig(old, "spec").get("selector"))


def validate_job_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """A job's pods are defined once: selector, template and completion mode are fixed."""
    errs: list[Cause] = []
    for name in ("selector", "template", "completionMode"):
        errs += immutable(child("spec", name), dig(new, "spec").get(name), dig(old, "spec").get(name))
    return errs
