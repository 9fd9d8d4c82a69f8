"""The OpenAPI v2 ("swagger") document of the served types, at GET /openapi/v2.

Mirrors Kubernetes' /openapi/v2 (k8s.io/kube-openapi): one `definitions` entry
per Go type, named after its package (`io.k8s.api.core.v1.Pod`,
`io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`), with descriptions for every
field, `x-kubernetes-group-version-kind` on top-level kinds and
`x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` on lists that
strategic merge patch merges by key.

kubectl reads it for `kubectl explain` and for client-side validation of
`kubectl create/apply -f` (an unknown field is rejected before anything is sent).
kubectl asks for the protobuf encoding (see apiserver/openapi_gnostic.py);
other clients get JSON. The schema itself is data: apiserver/openapi_types.yaml;
`paths` (every served operation) come from the resource registry (openapi_paths.py).
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from apiserver import openapi_gnostic, openapi_paths
from minikube_py.api.resources import RESOURCES, ResourceType

SCHEMA_FILE = Path(__file__).with_name("openapi_types.yaml")

# kubectl 1.20 sends the first; newer clients the second (same bytes).
PROTOBUF_MEDIA_TYPES = ("application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
                        "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")

PRIMITIVES: dict[str, dict[str, str]] = {
    "string": {"type": "string"},
    "boolean": {"type": "boolean"},
    "number": {"type": "number"},
    "integer": {"type": "integer"},
    "int32": {"type": "integer", "format": "int32"},
    "int64": {"type": "integer", "format": "int64"},
    "object": {},      # any JSON value: kubectl neither explains nor validates inside it
}

Schema = dict[str, Any]


@dataclass(frozen=True)
class Package:
    """A Go package of API types: its OpenAPI name prefix and, for API groups, group and version."""
    prefix: str
    group: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class SchemaTable:
    packages: dict[str, Package]        # short prefix ("core.v1") -> Package
    definitions: dict[str, Any]         # short name ("core.v1.Pod") -> entry from the YAML file

    def full_name(self, short: str) -> str:
        """core.v1.Pod -> io.k8s.api.core.v1.Pod"""
        prefix, _, type_name = short.rpartition(".")
        if prefix not in self.packages or short not in self.definitions:
            raise ValueError(f"{SCHEMA_FILE.name}: unknown type {short!r}")
        return f"{self.packages[prefix].prefix}.{type_name}"

    def package_of(self, short: str) -> Package:
        return self.packages[short.rpartition(".")[0]]

    def short_prefix_for(self, group: str, version: str) -> str:
        for short, package in self.packages.items():
            if package.group == group and package.version == version:
                return short
        raise ValueError(f"{SCHEMA_FILE.name}: no package for API group {group!r} version {version!r}")


def load_schema_table(path: Path = SCHEMA_FILE) -> SchemaTable:
    raw = yaml.safe_load(path.read_text())
    packages = {short: Package(*fields) for short, fields in raw["packages"].items()}
    return SchemaTable(packages, raw["definitions"])


# --------------------------------------------------------------------------
# The compact YAML notation -> OpenAPI schemas
# --------------------------------------------------------------------------


def type_schema(type_expr: str, table: SchemaTable) -> Schema:
    """`[]core.v1.Container`, `map[string]string`, `int32`, `core.v1.PodSpec` -> a JSON schema."""
    if type_expr.startswith("[]"):
        return {"type": "array", "items": type_schema(type_expr[2:], table)}
    if type_expr.startswith("map[string]"):
        return {"type": "object", "additionalProperties": type_schema(type_expr[len("map[string]"):], table)}
    if type_expr in PRIMITIVES:
        return dict(PRIMITIVES[type_expr])
    return {"$ref": f"#/definitions/{table.full_name(type_expr)}"}


def field_schema(field: str, spec: str, table: SchemaTable) -> tuple[Schema, bool]:
    """Parse `"<type> [flags] | <description>"`; returns the property schema and whether it is required."""
    head, _, description = spec.partition(" | ")
    type_expr, *flags = head.split()
    schema = {"description": description.strip(), **type_schema(type_expr, table)}
    required, strategies = False, []
    for flag in flags:
        name, _, value = flag.partition("=")
        if name == "required":
            required = True
        elif name == "merge":
            strategies.append("merge")
            if value:
                schema["x-kubernetes-patch-merge-key"] = value
        elif name == "retainKeys":
            strategies.append("retainKeys")
        else:
            raise ValueError(f"{SCHEMA_FILE.name}: field {field!r}: unknown flag {flag!r}")
    if strategies:
        schema["x-kubernetes-patch-strategy"] = ",".join(strategies)
    return schema, required


def gvk_extension(group: str, version: str, kind: str) -> list[dict[str, str]]:
    return [{"group": group, "kind": kind, "version": version}]


def definition_schema(short: str, entry: dict[str, Any], table: SchemaTable) -> Schema:
    schema: Schema = {"description": " ".join(entry.get("description", "").split())}
    if "type" in entry:                       # a named primitive such as Quantity or Time
        schema["type"] = entry["type"]
        if "format" in entry:
            schema["format"] = entry["format"]
        return schema
    properties: dict[str, Schema] = {}
    required: list[str] = []
    for field, spec in entry["properties"].items():
        properties[field], is_required = field_schema(f"{short}.{field}", spec, table)
        if is_required:
            required.append(field)
    if required:
        schema["required"] = required
    # No `"type": "object"` on kinds: kubectl 1.20's parser reads "object" as a map.
    schema["properties"] = properties
    if "apiVersion" in properties and "kind" in properties:
        package = table.package_of(short)
        if package.group is None:
            raise ValueError(f"{SCHEMA_FILE.name}: {short} has apiVersion/kind but its package no API group")
        schema["x-kubernetes-group-version-kind"] = gvk_extension(package.group, package.version or "",
                                                                   short.rpartition(".")[2])
    return schema


def list_definition(rt: ResourceType, table: SchemaTable) -> tuple[str, Schema]:
    """<Kind>List for every served resource, generated from the registry."""
    item = f"{table.short_prefix_for(rt.group, rt.version)}.{rt.kind}"
    name = table.full_name(item).rpartition(".")[0] + f".{rt.kind_list}"
    return name, {
        "description": f"{rt.kind_list} is a list of {rt.kind} objects.",
        "required": ["items"],
        "properties": {
            "apiVersion": {"description": "APIVersion defines the versioned schema of this representation "
                                          "of an object.", "type": "string"},
            "kind": {"description": "Kind is a string value representing the REST resource this object "
                                    "represents.", "type": "string"},
            "metadata": {"description": "Standard list metadata.",
                         "$ref": f"#/definitions/{table.full_name('meta.v1.ListMeta')}"},
            "items": {"description": f"List of {rt.plural}.", "type": "array",
                      "items": {"$ref": f"#/definitions/{table.full_name(item)}"}},
        },
        "x-kubernetes-group-version-kind": gvk_extension(rt.group, rt.version, rt.kind_list),
    }


# --------------------------------------------------------------------------
# The document, built once and cached in both encodings
# --------------------------------------------------------------------------


@functools.cache
def document(server_version: str) -> dict[str, Any]:
    table = load_schema_table()
    definitions = {table.full_name(short): definition_schema(short, entry, table)
                   for short, entry in table.definitions.items()}
    definitions.update(list_definition(rt, table) for rt in RESOURCES)

    def definition(rt: ResourceType, kind: str) -> str:
        return f"{table.packages[table.short_prefix_for(rt.group, rt.version)].prefix}.{kind}"
    return {
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": server_version},
        # every PATCH lists dryRun: kubectl 1.20 reads that (in the protobuf form) before a server dry run
        "paths": openapi_paths.paths(definition),
        "definitions": dict(sorted(definitions.items())),
    }


@functools.cache
def encoded(server_version: str, as_protobuf: bool) -> tuple[bytes, str, str]:
    """(body, content type, ETag) of the document in the requested encoding."""
    doc = document(server_version)
    if as_protobuf:
        # Not the requested media type: its "@" makes Go's mime.ParseMediaType (and
        # so client-go) fail. Kubernetes answers application/octet-stream too.
        body, content_type = openapi_gnostic.to_protobuf(doc), "application/octet-stream"
    else:
        body, content_type = json.dumps(doc).encode(), "application/json"
    etag = '"' + hashlib.sha512(body).hexdigest()[:32].upper() + '"'
    return body, content_type, etag


def wants_protobuf(accept: str) -> bool:
    """True when the Accept header lists gnostic's protobuf media type before any JSON."""
    for clause in accept.split(","):
        media_type = clause.split(";")[0].strip()
        if media_type in PROTOBUF_MEDIA_TYPES:
            return True
        if media_type in ("application/json", "*/*", "application/*"):
            return False
    return False
