"""Where a pod may run: taints and tolerations, nodeSelector and affinity.

Mirrors the scheduling parts of Kubernetes' pod and node validation
(pkg/apis/core/validation): a node's taints repel pods unless they carry a
matching toleration; node affinity is a richer nodeSelector; pod
(anti-)affinity places pods near or away from other pods by their labels.
"""
from __future__ import annotations

from typing import Any

from .field import Cause, child, duplicate, invalid, not_supported, one_of, required
from .names import Syntax, check, dns1123_label_problems, label_value_problems, qualified_name_problems
from .selectors import validate_label_selector, validate_requirement
from .shapes import as_int, get_int, get_list, get_object, get_str, objects_in, strings_in

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
TOLERATION_OPERATORS = ("Equal", "Exists")
NODE_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
NODE_FIELD_SELECTOR_KEYS = ("metadata.name",)


# -- taints (on nodes) and tolerations (on pods) -------------------------------
def validate_taints(spec: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    seen: set[tuple[str, str]] = set()
    taints_path = child(path, "taints")
    for taint_path, taint in objects_in(get_list(spec, "taints", path, errs), taints_path, errs):
        taint_key, effect = taint.get("key"), taint.get("effect")
        errs += check(child(taint_path, "key"), taint_key, qualified_name_problems, required_value=True)
        errs += check(child(taint_path, "value"), taint.get("value"), label_value_problems)
        if effect is None or effect == "":
            errs.append(required(child(taint_path, "effect")))
        else:
            errs += one_of(child(taint_path, "effect"), effect, TAINT_EFFECTS)
        get_str(taint, "timeAdded", taint_path, errs)
        if isinstance(taint_key, str) and isinstance(effect, str):
            if (taint_key, effect) in seen:
                errs.append(duplicate(taint_path, taint, "taints must be unique by key and effect pair"))
            seen.add((taint_key, effect))
    return errs


def validate_tolerations(spec: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    tolerations_path = child(path, "tolerations")
    for item_path, toleration in objects_in(get_list(spec, "tolerations", path, errs), tolerations_path, errs):
        errs += _validate_toleration(toleration, item_path)
    return errs


def _validate_toleration(toleration: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    toleration_key = get_str(toleration, "key", path, errs)
    operator = get_str(toleration, "operator", path, errs) or "Equal"    # empty means Equal
    value = get_str(toleration, "value", path, errs) or ""
    effect = get_str(toleration, "effect", path, errs) or ""
    seconds = get_int(toleration, "tolerationSeconds", path, errs, bits=64)
    operator_path = child(path, "operator")
    if toleration_key:
        errs += check(child(path, "key"), toleration_key, qualified_name_problems)
    elif operator != "Exists":
        errs.append(invalid(operator_path, operator, "operator must be Exists when `key` is empty, "
                                                     "which means \"match all values and all keys\""))
    if seconds is not None and effect != "NoExecute":
        errs.append(invalid(child(path, "effect"), effect,
                            "effect must be 'NoExecute' when `tolerationSeconds` is set"))
    if operator == "Equal":
        errs += [invalid(operator_path, value, problem) for problem in label_value_problems(value)]
    elif operator == "Exists":
        if value:
            errs.append(invalid(operator_path, toleration, "value must be empty when `operator` is 'Exists'"))
    else:
        errs.append(not_supported(operator_path, operator, TOLERATION_OPERATORS))
    if effect:
        errs += one_of(child(path, "effect"), effect, TAINT_EFFECTS)
    return errs


# -- affinity -------------------------------------------------------------------
def validate_affinity(spec: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    affinity_path = child(path, "affinity")
    affinity = get_object(spec, "affinity", path, errs)
    if affinity.get("nodeAffinity") is not None:
        errs += _validate_node_affinity(get_object(affinity, "nodeAffinity", affinity_path, errs),
                                        child(affinity_path, "nodeAffinity"))
    for kind in ("podAffinity", "podAntiAffinity"):
        if affinity.get(kind) is not None:
            errs += _validate_pod_affinity(get_object(affinity, kind, affinity_path, errs), child(affinity_path, kind))
    return errs


def _validate_node_affinity(node_affinity: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    required_name = "requiredDuringSchedulingIgnoredDuringExecution"
    if node_affinity.get(required_name) is not None:
        selector = get_object(node_affinity, required_name, path, errs)
        errs += validate_node_selector(selector, child(path, required_name))
    for item_path, preferred in _weighted_terms(node_affinity, path, errs):
        errs += _validate_node_selector_term(get_object(preferred, "preference", item_path, errs),
                                             child(item_path, "preference"))
    return errs


def validate_node_selector(selector: dict[str, Any], path: str) -> list[Cause]:
    """A NodeSelector: a list of terms, any one of which must match (terms are ORed)."""
    errs: list[Cause] = []
    terms_path = child(path, "nodeSelectorTerms")
    terms = get_list(selector, "nodeSelectorTerms", path, errs)
    if not terms and not errs:
        errs.append(required(terms_path, "must have at least one node selector term"))
    for term_path, term in objects_in(terms, terms_path, errs):
        errs += _validate_node_selector_term(term, term_path)
    return errs


def _validate_node_selector_term(term: dict[str, Any], path: str) -> list[Cause]:
    """A term's requirements are ANDed: label expressions and field expressions (metadata.name only)."""
    errs: list[Cause] = []
    for name in ("matchExpressions", "matchFields"):
        list_path = child(path, name)
        for item_path, requirement in objects_in(get_list(term, name, path, errs), list_path, errs):
            if name == "matchExpressions":
                errs += validate_requirement(requirement, item_path, NODE_SELECTOR_OPERATORS,
                                             _integer_if_compared(requirement))
            else:
                errs += _validate_field_requirement(requirement, item_path)
    return errs


def _integer_if_compared(requirement: dict[str, Any]) -> Syntax | None:
    """Gt and Lt compare numbers, so their single value must be an integer."""
    if requirement.get("operator") not in ("Gt", "Lt"):
        return None
    return lambda value: [] if value.lstrip("-").isdigit() and value.isascii() else ["must be an integer"]


def _validate_field_requirement(requirement: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    field_key = get_str(requirement, "key", path, errs)
    if field_key not in NODE_FIELD_SELECTOR_KEYS and not errs:
        errs.append(not_supported(child(path, "key"), field_key, NODE_FIELD_SELECTOR_KEYS))
    errs += one_of(child(path, "operator"), get_str(requirement, "operator", path, errs), ("In", "NotIn"))
    values = get_list(requirement, "values", path, errs)
    if len(values) != 1:
        errs.append(required(child(path, "values"), "must be only one value when `operator` is 'In' or 'NotIn' "
                                                    "for node field selector"))
    return errs


def _validate_pod_affinity(pod_affinity: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    required_name = "requiredDuringSchedulingIgnoredDuringExecution"
    required_path = child(path, required_name)
    for term_path, term in objects_in(get_list(pod_affinity, required_name, path, errs), required_path, errs):
        errs += _validate_pod_affinity_term(term, term_path)
    for item_path, preferred in _weighted_terms(pod_affinity, path, errs):
        errs += _validate_pod_affinity_term(get_object(preferred, "podAffinityTerm", item_path, errs),
                                            child(item_path, "podAffinityTerm"))
    return errs


def _validate_pod_affinity_term(term: dict[str, Any], path: str) -> list[Cause]:
    """Pods matching labelSelector (in `namespaces`) on the same `topologyKey` domain (node, zone, ...)."""
    errs: list[Cause] = []
    for selector_name in ("labelSelector", "namespaceSelector"):
        if term.get(selector_name) is not None:
            errs += validate_label_selector(get_object(term, selector_name, path, errs), child(path, selector_name))
    namespaces_path = child(path, "namespaces")
    for item_path, namespace in strings_in(get_list(term, "namespaces", path, errs), namespaces_path, errs):
        errs += check(item_path, namespace, dns1123_label_problems)
    topology_key = term.get("topologyKey")
    if topology_key is None or topology_key == "":
        errs.append(required(child(path, "topologyKey"), "can not be empty"))
    else:
        errs += check(child(path, "topologyKey"), topology_key, qualified_name_problems)
    return errs


def _weighted_terms(affinity: dict[str, Any], path: str, errs: list[Cause]) -> list[tuple[str, dict[str, Any]]]:
    """`preferredDuringSchedulingIgnoredDuringExecution`: terms with a weight from 1 to 100."""
    preferred_name = "preferredDuringSchedulingIgnoredDuringExecution"
    preferred_path = child(path, preferred_name)
    terms = []
    for item_path, item in objects_in(get_list(affinity, preferred_name, path, errs), preferred_path, errs):
        weight_path = child(item_path, "weight")
        written = item.get("weight")
        weight = as_int(0 if written is None else written, weight_path, errs)    # an int32: absent means 0
        if weight is not None and not 1 <= weight <= 100:
            errs.append(invalid(weight_path, weight, "must be in the range 1-100"))
        terms.append((item_path, item))
    return terms
