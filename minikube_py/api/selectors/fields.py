"""Field selectors (k8s.io/apimachinery/pkg/fields) and the per-type selectable fields.

Each Kubernetes registry declares which fields of its objects can be used in
`?fieldSelector=` (pkg/registry/*/strategy.go, `ToSelectableFields`), e.g.
`spec.nodeName` on pods, which is how a node agent watches only its own pods.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from minikube_py.api.resources import ResourceType

from .labels import SelectorError

# --------------------------------------------------------------------------
# Field selectors (k8s.io/apimachinery/pkg/fields)
# --------------------------------------------------------------------------

_ESCAPABLE = "\\,="


def escape_field_value(value: str) -> str:
    """fields.EscapeValue: backslash-escape `\\`, `,` and `=`."""
    return "".join("\\" + ch if ch in _ESCAPABLE else ch for ch in value)


def _unescape_field_value(value: str, term: str) -> str:
    out: list[str] = []
    characters = iter(value)
    for ch in characters:
        if ch == "\\":
            escaped = next(characters, None)
            if escaped is None:
                raise SelectorError(f"invalid field selector term {term!r}: unterminated escape sequence")
            if escaped not in _ESCAPABLE:
                raise SelectorError(f"invalid field selector term {term!r}: "
                                    f"invalid escape sequence '\\{escaped}'")
            out.append(escaped)
        elif ch in ",=":
            raise SelectorError(f"invalid field selector term {term!r}: "
                                f"unescaped {ch!r} in value (write '\\{ch}')")
        else:
            out.append(ch)
    return "".join(out)


def _split_unescaped(text: str, separator: str) -> list[str]:
    """Split on `separator` characters that are not preceded by a backslash escape."""
    parts, start, index = [], 0, 0
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == separator:
            parts.append(text[start:index])
            start = index + 1
        index += 1
    parts.append(text[start:])
    return parts


def _split_term(term: str) -> tuple[str, str, str]:
    """`field<op>value` at the first operator; at one position `!=` and `==` win over `=`."""
    for index in range(len(term)):
        for operator in ("!=", "==", "="):
            if term.startswith(operator, index):
                return term[:index], operator, term[index + len(operator):]
    raise SelectorError(f"invalid field selector term {term!r}: expected field=value, "
                        "field==value or field!=value")


@dataclass(frozen=True)
class FieldSelector:
    """A parsed field selector: (field, "=" or "!=", value) terms ANDed together."""
    terms: tuple[tuple[str, str, str], ...] = ()

    @property
    def requirements(self) -> list[tuple[str, str, str]]:
        return list(self.terms)

    @property
    def empty(self) -> bool:
        return not self.terms

    def value_for(self, field: str) -> str | None:
        """The value an exact `field=value` term requires (fields.RequiresExactMatch)."""
        return next((value for name, op, value in self.terms if name == field and op == "="), None)

    def matches(self, fields: Mapping[str, str]) -> bool:
        # A field the object does not have reads as "" (fields.Set.Get).
        return all((fields.get(name, "") == value) == (op == "=") for name, op, value in self.terms)

    def __str__(self) -> str:
        return ",".join(f"{name}{op}{escape_field_value(value)}" for name, op, value in self.terms)


def parse_field_selector(text: str) -> FieldSelector:
    """Parse `?fieldSelector=` syntax: `spec.nodeName=node-1,status.phase!=Failed`."""
    if not isinstance(text, str):
        raise SelectorError(f"field selector must be a string, not {type(text).__name__}")
    terms = []
    for term in _split_unescaped(text, ","):
        if not term.strip():
            continue
        field, operator, raw_value = _split_term(term)
        field = field.strip()
        if not field:
            raise SelectorError(f"invalid field selector term {term!r}: missing field name")
        value = _unescape_field_value(raw_value, term)
        terms.append((field, "!=" if operator == "!=" else "=", value))
    # Kubernetes sorts the terms, which makes the printed form canonical.
    terms.sort(key=lambda t: f"{t[0]}{t[1]}{escape_field_value(t[2])}")
    return FieldSelector(tuple(terms))


# --------------------------------------------------------------------------
# Selectable fields per type (each registry's ToSelectableFields)
# --------------------------------------------------------------------------

FieldGetter = Callable[[Any], str]


def _lookup(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _text(dotted_path: str) -> FieldGetter:
    """A string field; missing means "" (Go's zero value)."""
    path = tuple(dotted_path.split("."))

    def get(obj: Any) -> str:
        value = _lookup(obj, path)
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float) and math.isfinite(value):
            return str(int(value)) if value.is_integer() else repr(value)
        return ""
    return get


def _flag(dotted_path: str) -> FieldGetter:
    """A bool field printed like strconv.FormatBool; missing means "false"."""
    path = tuple(dotted_path.split("."))
    return lambda obj: "true" if _lookup(obj, path) is True else "false"


def _count(dotted_path: str) -> FieldGetter:
    """An integer field printed like strconv.Itoa; missing means "0"."""
    path = tuple(dotted_path.split("."))

    def get(obj: Any) -> str:
        value = _lookup(obj, path)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, float) and math.isfinite(value):
            return str(int(value))
        return "0"
    return get


def _pod_ip(pod: Any) -> str:
    """status.podIP is the first of status.podIPs (falling back to status.podIP)."""
    pod_ips = _lookup(pod, ("status", "podIPs"))
    if isinstance(pod_ips, list) and pod_ips:
        first = _text("ip")(pod_ips[0])
        if first:
            return first
    return _text("status.podIP")(pod)


# (group, kind) -> {field label: getter}. Every type also has metadata.name and,
# when namespaced, metadata.namespace. Types not listed select on metadata only.
SELECTABLE_FIELDS: dict[tuple[str, str], dict[str, FieldGetter]] = {
    ("", "Pod"): {
        "spec.nodeName": _text("spec.nodeName"),
        "spec.restartPolicy": _text("spec.restartPolicy"),
        "spec.schedulerName": _text("spec.schedulerName"),
        "spec.serviceAccountName": _text("spec.serviceAccountName"),
        "spec.hostNetwork": _flag("spec.hostNetwork"),
        "status.phase": _text("status.phase"),
        "status.podIP": _pod_ip,
        "status.nominatedNodeName": _text("status.nominatedNodeName"),
    },
    ("", "Node"): {"spec.unschedulable": _flag("spec.unschedulable")},
    ("", "Namespace"): {"status.phase": _text("status.phase")},
    ("", "Secret"): {"type": _text("type")},
    # Kubernetes 1.30 added spec.clusterIP (kube-proxy watches `spec.clusterIP!=None`), 1.31 spec.type.
    ("", "Service"): {"spec.clusterIP": _text("spec.clusterIP"), "spec.type": _text("spec.type")},
    ("", "Event"): {
        **{f"involvedObject.{f}": _text(f"involvedObject.{f}")
           for f in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")},
        "reason": _text("reason"),
        "reportingComponent": _text("reportingComponent"),
        "source": _text("source.component"),
        "type": _text("type"),
    },
    ("apps", "ReplicaSet"): {"status.replicas": _count("status.replicas")},
    ("batch", "Job"): {"status.successful": _count("status.succeeded")},
}


def _field_getters(rt: ResourceType) -> dict[str, FieldGetter]:
    getters: dict[str, FieldGetter] = {"metadata.name": _text("metadata.name")}
    if rt.namespaced:
        getters["metadata.namespace"] = _text("metadata.namespace")
    getters.update(SELECTABLE_FIELDS.get((rt.group, rt.kind), {}))
    return getters


def supported_fields(rt: ResourceType) -> frozenset[str]:
    """The field labels `?fieldSelector=` accepts for this type."""
    return frozenset(_field_getters(rt))


def object_fields(rt: ResourceType, obj: Any) -> dict[str, str]:
    """The field set of `obj` for field selection; never raises on malformed objects."""
    return {label: get(obj) for label, get in _field_getters(rt).items()}


def check_supported(rt: ResourceType, selector: FieldSelector) -> None:
    """Reject field labels this type does not register, as the API server does."""
    supported = supported_fields(rt)
    for field, _, _ in selector.terms:
        if field not in supported:
            raise SelectorError(f"field label not supported: {field}")
