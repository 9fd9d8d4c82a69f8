"""The `paths` of /openapi/v2: every served path and operation, generated from the resource registry.

Kubernetes' document lists, for each resource, its collection and object
paths (namespaced ones under `/namespaces/{namespace}/`, plus the list across
all namespaces) and its subresources, each operation with an `operationId`
such as `listCoreV1NamespacedPod`, its parameters, its body schema and the
`x-kubernetes-action` verb. Generic OpenAPI tooling (client generators,
schemathesis) needs exactly that; kubectl reads only the definitions.

Only what the registry says is served is listed, so the document cannot
promise an operation that would answer 405.
"""
from __future__ import annotations

from typing import Any

from minikube_py.api.resources import RESOURCES, ResourceType, by_kind

from .decoding import BODY_TYPES, PATCH_TYPES

Operation = dict[str, Any]

_STRING = {"type": "string"}
QUERY_PARAMETERS: dict[str, tuple[dict[str, str], str]] = {
    "labelSelector": (_STRING, "A selector to restrict the list of returned objects by their labels."),
    "fieldSelector": (_STRING, "A selector to restrict the list of returned objects by their fields."),
    "limit": ({"type": "integer"}, "The maximum number of objects to return in one page."),
    "continue": (_STRING, "The token of the next page, from the previous page's metadata.continue."),
    "resourceVersion": (_STRING, "List at, or watch from, this resource version."),
    "timeoutSeconds": ({"type": "integer"}, "End a watch after this many seconds."),
    "watch": ({"type": "boolean"}, "Watch for changes instead of listing."),
    "allowWatchBookmarks": ({"type": "boolean"}, "Send BOOKMARK events on a watch."),
    "dryRun": (_STRING, "When \"All\", run every step of the request but do not store the result."),
    "fieldValidation": (_STRING, "Ignore, Warn (default) or Strict: what to do with unknown fields."),
    "gracePeriodSeconds": ({"type": "integer"}, "Seconds before the object is deleted; 0 deletes at once."),
    "propagationPolicy": (_STRING, "Orphan, Background or Foreground deletion of dependents."),
}
LIST_QUERY = ("labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "timeoutSeconds",
              "watch", "allowWatchBookmarks")
WRITE_QUERY = ("dryRun", "fieldValidation")
DELETE_QUERY = ("dryRun", "gracePeriodSeconds", "propagationPolicy")


def _query(names: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"name": name, "in": "query", "uniqueItems": True, "description": QUERY_PARAMETERS[name][1],
             **QUERY_PARAMETERS[name][0]} for name in names]


def _path_parameter(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "type": "string", "uniqueItems": True,
            "description": description}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/definitions/{name}"}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": "body", "in": "body", "required": True, "schema": schema}


def _operation_id(verb: str, rt: ResourceType, namespaced: bool, suffix: str = "") -> str:
    group = "".join(part.capitalize() for part in (rt.group.split(".")[0] if rt.group else "core").split("-"))
    scope = "Namespaced" if namespaced else ""
    return f"{verb}{group}{rt.version.capitalize()}{scope}{rt.kind}{suffix}"


class PathBuilder:
    """Builds the paths of every resource; `definition` turns a kind into its definition name."""

    def __init__(self, definition: Any) -> None:
        self.definition = definition
        self.paths: dict[str, dict[str, Any]] = {}

    def operation(self, rt: ResourceType, action: str, operation_id: str, response: str | dict[str, Any],
                  parameters: list[dict[str, Any]], consumes: list[str] | None = None,
                  created: bool = False) -> Operation:
        schema = _ref(response) if isinstance(response, str) else response
        responses: dict[str, Any] = {"200": {"description": "OK", "schema": schema}}
        if created:
            responses["201"] = {"description": "Created", "schema": schema}
        operation: Operation = {
            "description": f"{action} {rt.kind}", "operationId": operation_id,
            "consumes": consumes or ["*/*"], "produces": ["application/json", "application/yaml"],
            "parameters": parameters, "responses": responses, "tags": [rt.group or "core"],
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
        }
        return operation

    def add(self, path: str, parameters: list[dict[str, Any]], operations: dict[str, Operation]) -> None:
        if operations:
            self.paths[path] = {**operations, "parameters": parameters}

    def resource(self, rt: ResourceType) -> None:
        base = "/api/v1" if not rt.group else f"/apis/{rt.group}/{rt.version}"
        kind, kind_list = self.definition(rt, rt.kind), self.definition(rt, rt.kind_list)
        verbs = set(rt.verbs)
        body_types = [name for name, decoder in BODY_TYPES.items() if decoder is not None]
        patch_types = [name for name, decoder in PATCH_TYPES.items() if decoder is not None]
        scope = [_path_parameter("namespace", "object name and auth scope, such as for teams and projects")] \
            if rt.namespaced else []
        collection = f"{base}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{base}/{rt.plural}"
        name = _path_parameter("name", f"name of the {rt.kind}")
        ns = rt.namespaced

        operations: dict[str, Operation] = {}
        if "list" in verbs:
            operations["get"] = self.operation(rt, "list", _operation_id("list", rt, ns), kind_list,
                                               _query(LIST_QUERY))
        if "create" in verbs:
            operations["post"] = self.operation(rt, "post", _operation_id("create", rt, ns), kind,
                                                [_body(_ref(kind)), *_query(WRITE_QUERY)], body_types, created=True)
        if "deletecollection" in verbs:
            operations["delete"] = self.operation(rt, "deletecollection", _operation_id("deleteCollection", rt, ns),
                                                  "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
                                                  _query(LIST_QUERY[:4] + DELETE_QUERY))
        self.add(collection, scope, operations)
        if ns and "list" in verbs:           # the list across all namespaces
            self.add(f"{base}/{rt.plural}", [], {"get": self.operation(
                rt, "list", _operation_id("list", rt, False, "ForAllNamespaces"), kind_list, _query(LIST_QUERY))})

        operations = {}
        if "get" in verbs:
            operations["get"] = self.operation(rt, "get", _operation_id("read", rt, ns), kind, [])
        if "update" in verbs:
            operations["put"] = self.operation(rt, "put", _operation_id("replace", rt, ns), kind,
                                               [_body(_ref(kind)), *_query(WRITE_QUERY)], body_types, created=True)
        if "patch" in verbs:
            operations["patch"] = self.operation(rt, "patch", _operation_id("patch", rt, ns), kind,
                                                 [_body({"type": "object"}), *_query(WRITE_QUERY)], patch_types)
        if "delete" in verbs:
            operations["delete"] = self.operation(rt, "delete", _operation_id("delete", rt, ns), kind,
                                                  _query(DELETE_QUERY))
        self.add(f"{collection}/{{name}}", [name, *scope], operations)
        for subresource in rt.subresources:
            self.subresource(rt, subresource, f"{collection}/{{name}}/{subresource}", [name, *scope],
                             body_types, patch_types)

    def subresource(self, rt: ResourceType, subresource: str, path: str, parameters: list[dict[str, Any]],
                    body_types: list[str], patch_types: list[str]) -> None:
        ns, suffix = rt.namespaced, subresource.capitalize()
        kind = self.definition(rt, rt.kind)
        if subresource in ("status", "scale"):
            schema = kind if subresource == "status" else "io.k8s.api.autoscaling.v1.Scale"
            self.add(path, parameters, {
                "get": self.operation(rt, "get", _operation_id("read", rt, ns, suffix), schema, []),
                "put": self.operation(rt, "put", _operation_id("replace", rt, ns, suffix), schema,
                                      [_body(_ref(schema)), *_query(WRITE_QUERY)], body_types),
                "patch": self.operation(rt, "patch", _operation_id("patch", rt, ns, suffix), schema,
                                        [_body({"type": "object"}), *_query(WRITE_QUERY)], patch_types)})
        elif subresource == "binding":
            binding = self.definition(rt, "Binding")
            self.add(path, parameters, {"post": self.operation(
                rt, "post", _operation_id("create", rt, ns, "Binding"), binding,
                [_body(_ref(binding)), *_query(WRITE_QUERY)], body_types, created=True)})
        elif subresource == "eviction":
            eviction = self.definition(by_kind("policy/v1", "PodDisruptionBudget"), "Eviction")
            self.add(path, parameters, {"post": self.operation(
                rt, "post", _operation_id("create", rt, ns, "Eviction"), eviction,
                [_body(_ref(eviction)), *_query(WRITE_QUERY)], body_types, created=True)})
        elif subresource == "finalize":
            self.add(path, parameters, {"put": self.operation(
                rt, "put", _operation_id("replace", rt, ns, suffix), kind, [_body(_ref(kind))], body_types)})
        elif subresource in ("exec", "attach", "portforward"):      # streams upgraded to SPDY/WebSocket
            self.add(path, parameters, {verb: self.operation(
                rt, "connect", _operation_id(f"connect{verb.capitalize()}", rt, ns, suffix), _STRING, [])
                for verb in ("get", "post")})
        elif subresource == "log":
            self.add(path, parameters, {"get": self.operation(
                rt, "get", _operation_id("read", rt, ns, "Log"), _STRING,
                _query(()) + [{"name": "container", "in": "query", "type": "string", "uniqueItems": True,
                               "description": "The container to stream the log of."}])})


def paths(definition: Any) -> dict[str, dict[str, Any]]:
    """Every served path; `definition(rt, kind)` names the definition of a kind in rt's API group."""
    builder = PathBuilder(definition)
    for rt in RESOURCES:
        builder.resource(rt)
    return dict(sorted(builder.paths.items()))
