"""API object validation: what the API server checks before it stores an object.

This mirrors Kubernetes' per-type validation (pkg/apis/*/validation): every
create and update runs `validate(rt, obj, old)`, after defaulting
(`minikube_py.api.defaults.apply_defaults`). The answer is a list of causes,
one per problem, each naming the field (`spec.containers[0].image`) with a
Kubernetes reason (FieldValueRequired, FieldValueInvalid, ...); an empty list
means the object is valid. The server turns a non-empty list into a 422
Invalid Status with `errors.invalid(...)`.

Validation works on raw JSON and never raises: a wrong type anywhere is one
more cause naming the field, so bad input can never become a 500.

Module map: names (name/key grammars), meta (ObjectMeta), pods (+ containers,
env, resources, probes, volumes, scheduling, security), services, workloads,
cluster (Namespace, Node), config (ConfigMap, Secret), others (Endpoints,
Event, Lease), priority (PriorityClass), policy (PodDisruptionBudget),
networking (NetworkPolicy).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from minikube_py.api.resources import ResourceType

from . import cluster, config, networking, others, pods, policy, priority, services, workloads
from .field import Cause, invalid
from .meta import validate_object_meta, validate_object_meta_update
from .names import Syntax, dns1035_label_problems, dns1123_label_problems, dns1123_subdomain_problems
from .shapes import dig, get_object

MAX_NESTING_DEPTH = 64

Validator = Callable[[dict[str, Any]], list[Cause]]
UpdateValidator = Callable[[dict[str, Any], dict[str, Any]], list[Cause]]


@dataclass(frozen=True)
class Rules:
    """How one kind is validated: its name grammar, its content, and what an update may not change."""
    name_syntax: Syntax = dns1123_subdomain_problems
    content: Validator | None = None
    update: tuple[UpdateValidator, ...] = ()


RULES: dict[str, Rules] = {
    "Namespace": Rules(dns1123_label_problems, cluster.validate_namespace),
    "Node": Rules(content=cluster.validate_node, update=(cluster.validate_node_update,)),
    "Pod": Rules(content=pods.validate_pod, update=(pods.validate_pod_update,)),
    "Service": Rules(dns1035_label_problems, services.validate_service, (services.validate_service_update,)),
    "Endpoints": Rules(content=others.validate_endpoints),
    "ConfigMap": Rules(content=config.validate_config_map, update=(config.validate_immutable_data_update,)),
    "Secret": Rules(content=config.validate_secret,
                    update=(config.validate_immutable_data_update, config.validate_secret_type_update)),
    "Event": Rules(content=others.validate_event),
    "Deployment": Rules(content=workloads.validate_deployment, update=(workloads.validate_selector_update,)),
    "ReplicaSet": Rules(content=workloads.validate_replica_set, update=(workloads.validate_selector_update,)),
    "ReplicationController": Rules(content=workloads.validate_replication_controller),
    "DaemonSet": Rules(content=workloads.validate_daemon_set, update=(workloads.validate_selector_update,)),
    "Job": Rules(content=workloads.validate_job, update=(workloads.validate_job_update,)),
    "Lease": Rules(content=others.validate_lease),
    "PriorityClass": Rules(content=priority.validate_priority_class, update=(priority.validate_priority_class_update,)),
    "PodDisruptionBudget": Rules(content=policy.validate_pod_disruption_budget,
                                 update=(policy.validate_pod_disruption_budget_status,)),
    "NetworkPolicy": Rules(content=networking.validate_network_policy),
}


def validate(rt: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None = None) -> list[Cause]:
    """All problems with `obj` (a `rt.kind`); with `old`, also what the update may not change."""
    if not isinstance(obj, dict):
        return [invalid("", obj, f"must be a {rt.kind} object")]
    if _nesting_depth(obj) > MAX_NESTING_DEPTH:
        return [invalid("", "...", f"must not be nested more than {MAX_NESTING_DEPTH} levels deep")]
    rules = RULES.get(rt.kind, Rules())
    errs: list[Cause] = []
    meta = get_object(obj, "metadata", "", errs)
    errs += validate_object_meta(meta, "metadata", namespaced=rt.namespaced, name_syntax=rules.name_syntax)
    if rules.content is not None:
        errs += rules.content(obj)
    if isinstance(old, dict):
        errs += validate_object_meta_update(meta, dig(old, "metadata"), "metadata")
        for rule in rules.update:
            errs += rule(obj, old)
    return errs


def _nesting_depth(value: Any) -> int:
    """How deeply objects and arrays nest (iteratively: a hostile document cannot exhaust the stack)."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if depth > MAX_NESTING_DEPTH:
            return depth
        deepest = max(deepest, depth)
        children = current.values() if isinstance(current, dict) else current if isinstance(current, list) else ()
        pending.extend((item, depth + 1) for item in children if isinstance(item, (dict, list)))
    return deepest


__all__ = ["validate", "RULES", "MAX_NESTING_DEPTH"]
