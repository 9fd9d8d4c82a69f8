"""Typed decoding against the served schema, and `fieldValidation` (Ignore / Warn / Strict).

Kubernetes decodes every body into its Go struct: a field the struct does not
have is dropped, a value of the wrong JSON type (`"spec": []`) is a 400, a
quantity that does not parse is a 400, and `null` leaves a field unset. With
server-side field validation (`?fieldValidation=`, 1.27+):

    Warn    (the default) unknown fields are dropped, and each is named in a
            `Warning: 299 - "unknown field \\"spec.foo\\""` header
    Strict  unknown fields are a 400 "strict decoding error: unknown field ..."
    Ignore  unknown fields are dropped silently

Our structs are the OpenAPI definitions in apiserver/openapi_types.yaml, the
same document /openapi/v2 serves: one schema for kubectl's client-side
validation, `kubectl explain` and this decoder. A field typed `object` there is
free-form: kept as is, except for strategic-merge-patch directives (`$patch`,
`$retainKeys`, `$setElementOrder/...`), which no Kubernetes type has as a field
and which therefore never reach storage.
"""
from __future__ import annotations

import contextvars
import functools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from minikube_py.api import errors
from minikube_py.api.quantity import QuantityError, check_quantity
from minikube_py.api.resources import ResourceType

from . import objectmeta, openapi, request_warnings
from .limits import DEFAULT

MODES = ("Ignore", "Warn", "Strict")
_MODE: contextvars.ContextVar[str] = contextvars.ContextVar("field_validation", default="Warn")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})")
_INT_RANGES = {"int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1), "integer": (-2**63, 2**63 - 1)}
_MAX_NAMED = 80           # unknown field paths longer than this are cut in messages
# The JSON types each scalar kind accepts (exact types: a bool is not an int here, as in Go).
_SCALAR_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "time": (str,), "boolean": (bool,), "int32": (int,), "int64": (int,), "integer": (int,),
    "number": (int, float), "int-or-string": (int, str), "quantity": (int, float, str), "object": ()}
_CHECKED = frozenset(("int32", "int64", "integer", "int-or-string", "quantity", "time"))   # more than a type


# ---------------------------------------------------------------------------
# The schema, compiled once from openapi_types.yaml
# ---------------------------------------------------------------------------

@dataclass
class Struct:
    go_name: str                                   # "v1.PodSpec", as Go's errors name the type
    fields: dict[str, Node] = field(default_factory=dict)


@dataclass(frozen=True)
class ListOf:
    item: Node


@dataclass(frozen=True)
class MapOf:
    value: Node


@dataclass(frozen=True)
class Scalar:
    kind: str            # string int32 int64 integer boolean number object quantity int-or-string time


Node = Struct | ListOf | MapOf | Scalar
_NAMED_SCALARS = {"resource.Quantity": "quantity", "intstr.IntOrString": "int-or-string",
                  "meta.v1.Time": "time", "meta.v1.MicroTime": "time"}


class _Compiler:
    def __init__(self, table: openapi.SchemaTable) -> None:
        self.table = table
        self.structs: dict[str, Struct] = {}

    def node(self, type_expr: str) -> Node:
        if type_expr.startswith("[]"):
            return ListOf(self.node(type_expr[2:]))
        if type_expr.startswith("map[string]"):
            return MapOf(self.node(type_expr[len("map[string]"):]))
        if type_expr in _NAMED_SCALARS:
            return Scalar(_NAMED_SCALARS[type_expr])
        if type_expr in openapi.PRIMITIVES:
            return Scalar(type_expr)
        return self.struct(type_expr)

    def struct(self, short: str) -> Struct:
        if short in self.structs:
            return self.structs[short]
        package, _, type_name = short.rpartition(".")
        entry = self.table.definitions[short]
        if "type" in entry:
            return self.structs.setdefault(short, Struct(short))   # a named scalar we do not check
        struct = self.structs[short] = Struct(f"{package.rpartition('.')[2]}.{type_name}")
        for name, spec in entry["properties"].items():
            struct.fields[name] = self.node(spec.partition(" | ")[0].split()[0])
        return struct


@functools.cache
def _compiler() -> _Compiler:
    return _Compiler(openapi.load_schema_table())


@functools.cache
def schema_for(group: str, version: str, kind: str) -> Struct:
    compiler = _compiler()
    return compiler.struct(f"{compiler.table.short_prefix_for(group, version)}.{kind}")


# ---------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------

def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return f"number {value}"[:40]
    names: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return names.get(type(value), type(value).__name__)


def _go_type(node: Node) -> str:
    if isinstance(node, Struct):
        return node.go_name
    if isinstance(node, ListOf):
        return f"[]{_go_type(node.item)}"
    if isinstance(node, MapOf):
        return f"map[string]{_go_type(node.value)}"
    return {"integer": "int64", "number": "float64", "boolean": "bool", "object": "interface {}",
            "quantity": "resource.Quantity", "int-or-string": "intstr.IntOrString",
            "time": "v1.Time"}.get(node.kind, node.kind)


def _is_directive(key: str) -> bool:
    return key.startswith("$")


def _shown(path: str) -> str:
    return path if len(path) <= _MAX_NAMED else path[:_MAX_NAMED] + "..."


class _Decoder:
    def __init__(self, kind: str, version: str, max_depth: int) -> None:
        self.root = kind
        self.version = version
        self.max_depth = max_depth
        self.unknown: list[str] = []

    def fail(self, message: str) -> errors.ApiError:
        """400, worded as Kubernetes' decoder does."""
        return errors.bad_request(f'{self.root} in version "{self.version}" cannot be handled as a '
                                  f'{self.root}: {message}')

    def mismatch(self, node: Node, value: Any, path: str) -> errors.ApiError:
        return self.fail(f"json: cannot unmarshal {_json_kind(value)} into Go struct field "
                         f"{self.root}.{_shown(path)} of type {_go_type(node)}")

    def decode(self, node: Node, value: Any, path: str, depth: int) -> Any:
        if depth > self.max_depth:
            raise errors.bad_request(f"{_shown(path)}: nested deeper than the limit of {self.max_depth} levels")
        if isinstance(node, Struct):
            return self.struct(node, value, path, depth)
        if isinstance(node, ListOf):
            if type(value) is not list:
                raise self.mismatch(node, value, path)
            for index, item in enumerate(value):
                value[index] = self.element(node.item, item, path, index, depth)
            return value
        if isinstance(node, MapOf):
            if type(value) is not dict:
                raise self.mismatch(node, value, path)
            for key, item in value.items():
                value[key] = self.element(node.value, item, path, key, depth)
            return value
        return self.scalar(node, value, path, depth)

    def element(self, node: Node, value: Any, parent: str, key: str | int, depth: int) -> Any:
        """A list item or map value: null becomes the zero value, as in Go."""
        if value is None:
            return {} if isinstance(node, Struct) else "" if isinstance(node, Scalar) and \
                node.kind == "string" else None
        if isinstance(node, Scalar) and node.kind != "object" and type(value) in _SCALAR_TYPES[node.kind] \
                and node.kind not in _CHECKED:
            return value              # the common case, without building a path
        return self.decode(node, value, f"{parent}[{key}]", depth + 1)

    def struct(self, node: Struct, value: Any, path: str, depth: int) -> Any:
        if type(value) is not dict:
            raise self.mismatch(node, value, path)
        fields = node.fields
        if not fields:               # a named scalar without a check of its own
            return value
        for key, item in list(value.items()):
            child = fields.get(key)
            if child is None:
                self.unknown.append(f"{path}.{key}" if path else key)
                del value[key]
            elif item is None:
                del value[key]       # null leaves the field unset (omitempty)
            elif isinstance(child, Scalar) and child.kind not in _CHECKED and child.kind != "object" \
                    and type(item) in _SCALAR_TYPES[child.kind]:
                continue             # the common case, without building a path
            else:
                value[key] = self.decode(child, item, f"{path}.{key}" if path else key, depth + 1)
        return value

    def scalar(self, node: Scalar, value: Any, path: str, depth: int) -> Any:
        kind = node.kind
        if kind == "object":
            return self.free_form(value, path, depth)
        if type(value) not in _SCALAR_TYPES[kind]:
            raise self.mismatch(node, value, path)
        if kind in _INT_RANGES or (kind == "int-or-string" and type(value) is int):
            low, high = _INT_RANGES.get(kind, _INT_RANGES["int32"])
            if not low <= value <= high:
                raise self.fail(f"json: cannot unmarshal number {str(value)[:30]} into Go struct field "
                                f"{self.root}.{_shown(path)} of type {_go_type(node)}")
        elif kind == "quantity":
            try:
                check_quantity(value)
            except QuantityError as e:
                raise self.fail(f"{self.root}.{_shown(path)}: {e.detail}") from None
        elif kind == "time" and not _TIME.fullmatch(value):
            raise self.fail(f"{self.root}.{_shown(path)}: {value[:40]!r} is not an RFC 3339 time")
        return value

    def free_form(self, value: Any, path: str, depth: int) -> Any:
        """Kept as it is, less patch directives (Kubernetes' real types have no `$` fields)."""
        if depth > self.max_depth:
            raise errors.bad_request(f"{_shown(path)}: nested deeper than the limit of {self.max_depth} levels")
        if isinstance(value, dict):
            for key in list(value):
                if _is_directive(key):
                    self.unknown.append(f"{path}.{key}")
                    del value[key]
                else:
                    self.free_form(value[key], f"{path}.{key}", depth + 1)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.free_form(item, f"{path}[{index}]", depth + 1)
        return value


def decode_typed(group: str, version: str, kind: str, value: dict[str, Any],
                 max_depth: int = DEFAULT.max_depth) -> dict[str, Any]:
    """Decode `value` (in place) as the given kind under the current fieldValidation mode."""
    decoder = _Decoder(kind, version, max_depth)
    decoder.struct(schema_for(group, version, kind), value, "", 0)
    if decoder.unknown:
        mode = _MODE.get()
        messages = [f'unknown field "{_shown(path)}"' for path in decoder.unknown]
        if mode == "Strict":
            raise errors.bad_request("strict decoding error: " + ", ".join(messages[:20]))
        if mode == "Warn":
            for message in messages:
                request_warnings.add(message)
    return value


def decode_resource(rt: ResourceType, value: dict[str, Any]) -> dict[str, Any]:
    return decode_typed(rt.group, rt.version, rt.kind, value)


def decode_object(rt: ResourceType, body: Any) -> dict[str, Any]:
    """A request body as an object of `rt`: its kind and apiVersion checked, then decoded typed."""
    return decode_resource(rt, objectmeta.check_type(rt, body))


def _mode_of(request: web.Request) -> str:
    mode = request.query.get("fieldValidation", "")
    if mode in ("", *MODES):
        return mode or "Warn"
    raise errors.bad_request(f'fieldValidation: unsupported value "{mode[:40]}", supported values: '
                             '"Ignore", "Warn", "Strict"')


@web.middleware
async def middleware(request: web.Request,
                     handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Per request: the fieldValidation mode, and the warnings to send back."""
    mode = _mode_of(request) if request.method in ("POST", "PUT", "PATCH") else "Warn"
    mode_token, warnings_token = _MODE.set(mode), request_warnings.start()
    try:
        response = await handler(request)
        request_warnings.send(response)
        return response
    finally:       # requests of one keep-alive connection share a task: leave nothing behind
        request_warnings.reset(warnings_token)
        _MODE.reset(mode_token)
