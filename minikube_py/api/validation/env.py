"""Container environment: `env` and `envFrom`, as Kubernetes' ValidateEnv does it.

An env var has a literal `value` or a `valueFrom` with exactly one source: a
pod field (downward API), a container resource, a ConfigMap key or a Secret
key. `envFrom` imports every key of one ConfigMap or Secret, optionally with a
name prefix.
"""
from __future__ import annotations

from typing import Any

from .downward import ENV_FIELD_PATHS, validate_object_field_selector, validate_resource_field_selector
from .field import Cause, child, invalid
from .names import check, config_key_problems, dns1123_subdomain_problems, env_var_name_problems
from .shapes import fields_set, get_bool, get_list, get_object, get_str, objects_in

VALUE_FROM_SOURCES = ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef")
ENV_FROM_SOURCES = ("configMapRef", "secretRef")


def validate_env(container: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    env_path = child(path, "env")
    for var_path, var in objects_in(get_list(container, "env", path, errs), env_path, errs):
        errs += check(child(var_path, "name"), var.get("name"), env_var_name_problems, required_value=True)
        value = get_str(var, "value", var_path, errs)
        if var.get("valueFrom") is not None:
            value_from = get_object(var, "valueFrom", var_path, errs)
            errs += _validate_value_from(value_from, child(var_path, "valueFrom"), has_value=bool(value))
    return errs


def _validate_value_from(value_from: dict[str, Any], path: str, *, has_value: bool) -> list[Cause]:
    errs: list[Cause] = []
    sources = fields_set(value_from, VALUE_FROM_SOURCES)
    for source in sources:
        ref = get_object(value_from, source, path, errs)
        source_path = child(path, source)
        if source == "fieldRef":
            errs += validate_object_field_selector(ref, source_path, ENV_FIELD_PATHS)
        elif source == "resourceFieldRef":
            errs += validate_resource_field_selector(ref, source_path, container_required=False)
        else:
            errs += validate_key_reference(ref, source_path)
    if not sources:
        errs.append(invalid(path, "", "must specify one of: `fieldRef`, `resourceFieldRef`, "
                                      "`configMapKeyRef` or `secretKeyRef`"))
    elif has_value:
        errs.append(invalid(path, "", "may not be specified when `value` is not empty"))
    elif len(sources) > 1:
        errs.append(invalid(path, "", "may not have more than one field specified at a time"))
    return errs


def validate_key_reference(ref: dict[str, Any], path: str) -> list[Cause]:
    """`{name: my-config, key: color, optional: true}`: one key of a ConfigMap or Secret."""
    errs = check(child(path, "name"), ref.get("name"), dns1123_subdomain_problems, required_value=True)
    errs += check(child(path, "key"), ref.get("key"), config_key_problems, required_value=True)
    get_bool(ref, "optional", path, errs)
    return errs


def validate_env_from(container: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    env_from_path = child(path, "envFrom")
    for item_path, item in objects_in(get_list(container, "envFrom", path, errs), env_from_path, errs):
        errs += check(child(item_path, "prefix"), item.get("prefix"), env_var_name_problems)
        sources = fields_set(item, ENV_FROM_SOURCES)
        for source in sources:
            ref = get_object(item, source, item_path, errs)
            errs += check(child(child(item_path, source), "name"), ref.get("name"), dns1123_subdomain_problems,
                          required_value=True)
            get_bool(ref, "optional", child(item_path, source), errs)
        if not sources:
            errs.append(invalid(item_path, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif len(sources) > 1:
            errs.append(invalid(item_path, "", "may not have more than one field specified at a time"))
    return errs
