"""Server-side printing: answering `kubectl get` with a meta.k8s.io Table.

Mirrors Kubernetes' TableConvertor (k8s.io/apiserver/pkg/registry/rest/table.go
and pkg/printers/storage): since 1.11 kubectl does not know how to print the
kinds it lists. It asks for a Table in the Accept header,

    application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json

and the server answers with column definitions plus one row of cells per
object. So `kubectl get` shows the same columns for every server version, and
the per-kind knowledge (what READY or STATUS mean for a pod) lives on the
server, in apiserver/table_printers.py.

Each row also carries the object, as `?includeObject=` asks: `None`, `Metadata`
(the default: a PartialObjectMetadata, enough for `--show-labels` and `-L`) or
`Object` (the whole object, which kubectl requests for `--sort-by`).
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from apiserver.table_helpers import Column, Printer
from apiserver.table_printers import DEFAULT_PRINTER, PRINTERS
from minikube_py.api.resources import ResourceType

TABLE_GROUP = "meta.k8s.io"
TABLE_VERSIONS = ("v1", "v1beta1")
INCLUDE_OBJECT_POLICIES = ("None", "Metadata", "Object")

log = logging.getLogger(__name__)


def media_type_params(clause: str) -> tuple[str, dict[str, str]]:
    """"application/json;as=Table;v=v1" -> ("application/json", {"as": "Table", "v": "v1"})"""
    media_type, *params = (part.strip() for part in clause.split(";"))
    pairs = (param.partition("=") for param in params)
    return media_type.lower(), {key.strip(): value.strip() for key, _, value in pairs}


def table_request(accept: str) -> str | None:
    """The Table version ("v1" or "v1beta1") the client asked for, or None for plain objects.

    Accept clauses are tried in order, as the client listed them; the first one
    we can serve wins. A plain `application/json` before any Table means no Table.
    """
    for clause in accept.split(","):
        media_type, params = media_type_params(clause)
        if media_type not in ("application/json", "*/*", "application/*"):
            continue
        wanted = params.get("as")
        if wanted is None:
            return None
        if wanted == "Table" and params.get("g") == TABLE_GROUP and params.get("v") in TABLE_VERSIONS:
            return params["v"]
    return None


def printer_for(rt: ResourceType) -> Printer:
    return PRINTERS.get(rt.kind, DEFAULT_PRINTER)


def column_definition(column: Column) -> dict[str, Any]:
    return {"name": column.name, "type": column.type, "format": column.format,
            "description": column.description, "priority": column.priority}


def row_object(rt: ResourceType, obj: dict[str, Any], table_version: str, include_object: str) -> Any:
    """What goes in a row's `object` for the includeObject policy."""
    if include_object == "Object":
        return {"apiVersion": rt.api_version, "kind": rt.kind, **obj}
    metadata = obj.get("metadata")
    return {"kind": "PartialObjectMetadata", "apiVersion": f"{TABLE_GROUP}/{table_version}",
            "metadata": metadata if isinstance(metadata, dict) else {}}


def unprintable_row(printer: Printer, obj: dict[str, Any]) -> list[Any]:
    metadata = obj.get("metadata")
    object_name = metadata.get("name", "") if isinstance(metadata, dict) else ""
    return [object_name if column.format == "name" else "<unknown>" for column in printer.columns]


def table_row(printer: Printer, rt: ResourceType, obj: Any, now: datetime, *,
              table_version: str, include_object: str) -> dict[str, Any]:
    obj = obj if isinstance(obj, dict) else {}
    try:
        cells, conditions = printer.row(obj, now), (printer.conditions(obj) if printer.conditions else [])
    except Exception:      # a printer bug must not turn `kubectl get` into a 500 for every object
        log.exception("printing %s %r failed", rt.kind, obj.get("metadata"))
        cells, conditions = unprintable_row(printer, obj), []
    row: dict[str, Any] = {"cells": cells}
    if conditions:
        row["conditions"] = conditions
    if include_object != "None":
        row["object"] = row_object(rt, obj, table_version, include_object)
    return row


def to_table(rt: ResourceType, objects: list[dict], *, table_version: str,
             include_object: str = "Metadata", list_metadata: dict | None = None,
             now: datetime | None = None) -> dict:
    """A meta.k8s.io Table for `objects` (a list, or a single object as a one-item list)."""
    if table_version not in TABLE_VERSIONS:
        raise ValueError(f"unsupported Table version {table_version!r}")
    if include_object not in INCLUDE_OBJECT_POLICIES:
        include_object = "Metadata"
    printer = printer_for(rt)
    now = now or datetime.now(UTC)
    return {
        "kind": "Table",
        "apiVersion": f"{TABLE_GROUP}/{table_version}",
        "metadata": dict(list_metadata or {}),
        "columnDefinitions": [column_definition(c) for c in printer.columns],
        "rows": [table_row(printer, rt, obj, now, table_version=table_version, include_object=include_object)
                 for obj in objects],
    }
