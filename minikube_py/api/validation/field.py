"""Field paths and field errors, as k8s.io/apimachinery/pkg/util/validation/field builds them.

Kubernetes reports every validation problem as a field error: a path such as
`spec.containers[0].image`, a type (Required, Invalid, Duplicate, ...) and a
message. The API server returns them as `details.causes` of a 422 Invalid
Status; here each one is a cause dict built with `minikube_py.api.errors.cause`.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from minikube_py.api.errors import cause

Cause = dict[str, str]

REQUIRED = "FieldValueRequired"
INVALID = "FieldValueInvalid"
DUPLICATE = "FieldValueDuplicate"
NOT_SUPPORTED = "FieldValueNotSupported"
FORBIDDEN = "FieldValueForbidden"
TOO_LONG = "FieldValueTooLong"
NOT_FOUND = "FieldValueNotFound"

_MAX_SHOWN_CHARS = 200   # composite values are shortened in messages; strings are shown whole


# -- paths ------------------------------------------------------------------
def child(path: str, name: str) -> str:
    """`spec` + `containers` -> `spec.containers`."""
    return f"{path}.{name}" if path else name


def index(path: str, position: int) -> str:
    """`spec.containers` + 0 -> `spec.containers[0]`."""
    return f"{path}[{position}]"


def key(path: str, map_key: str) -> str:
    """`spec.resources.requests` + `cpu` -> `spec.resources.requests[cpu]`."""
    return f"{path}[{map_key}]"


# -- how a bad value is shown -------------------------------------------------
def show(value: Any) -> str:
    """A value as Go's field errors print it: strings quoted, numbers plain, the rest as JSON."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return _shallow_json(value, depth=2)[:_MAX_SHOWN_CHARS]


def _shallow_json(value: Any, depth: int) -> str:
    """JSON for a dict or list, with anything deeper than `depth` elided (never recursion-bound)."""
    if isinstance(value, dict):
        if depth == 0:
            return "{...}"
        items = list(value.items())[:10]
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_shallow_json(v, depth - 1)}" for k, v in items) + "}"
    if isinstance(value, list):
        if depth == 0:
            return "[...]"
        return "[" + ", ".join(_shallow_json(v, depth - 1) for v in value[:10]) + "]"
    if isinstance(value, str) and len(value) > _MAX_SHOWN_CHARS:
        return json.dumps(value[:_MAX_SHOWN_CHARS] + "...")
    return show(value)


def _with_detail(head: str, detail: str) -> str:
    return f"{head}: {detail}" if detail else head


# -- the error types ----------------------------------------------------------
def required(path: str, detail: str = "") -> Cause:
    return cause(path, _with_detail("Required value", detail), REQUIRED)


def invalid(path: str, value: Any, detail: str = "") -> Cause:
    return cause(path, _with_detail(f"Invalid value: {show(value)}", detail), INVALID)


def duplicate(path: str, value: Any, detail: str = "") -> Cause:
    return cause(path, _with_detail(f"Duplicate value: {show(value)}", detail), DUPLICATE)


def not_supported(path: str, value: Any, supported: Iterable[str]) -> Cause:
    choices = ", ".join(json.dumps(choice) for choice in supported)
    return cause(path, f"Unsupported value: {show(value)}: supported values: {choices}", NOT_SUPPORTED)


def forbidden(path: str, detail: str) -> Cause:
    return cause(path, _with_detail("Forbidden", detail), FORBIDDEN)


def too_long(path: str, max_bytes: int) -> Cause:
    return cause(path, f"Too long: must have at most {max_bytes} bytes", TOO_LONG)


def not_found(path: str, value: Any) -> Cause:
    return cause(path, f"Not found: {show(value)}", NOT_FOUND)


# -- checks shared by many types ----------------------------------------------
def each_invalid(path: str, value: Any, problems: Iterable[str]) -> list[Cause]:
    """One Invalid error per problem a syntax check found (Kubernetes reports them separately)."""
    return [invalid(path, value, problem) for problem in problems]


def one_of(path: str, value: Any, supported: Iterable[str]) -> list[Cause]:
    """An enum field: the value must be one of `supported` (absent values are not checked)."""
    supported = tuple(supported)
    if value is None or value in supported:
        return []
    return [not_supported(path, value, supported)]


def at_least(path: str, value: int | None, minimum: int) -> list[Cause]:
    if value is None or value >= minimum:
        return []
    return [invalid(path, value, f"must be greater than or equal to {minimum}")]


def in_range(path: str, value: int | None, low: int, high: int) -> list[Cause]:
    if value is None or low <= value <= high:
        return []
    return [invalid(path, value, f"must be between {low} and {high}, inclusive")]


def immutable(path: str, new: Any, old: Any) -> list[Cause]:
    """An update may not change this field."""
    return [] if new == old else [invalid(path, new, "field is immutable")]


def required_one_of(path: str, value: Any, supported: Iterable[str]) -> list[Cause]:
    """An enum field that defaulting always fills in: absent is Required, anything else must be listed."""
    if value is None or value == "":
        return [required(path)]
    return one_of(path, value, supported)
