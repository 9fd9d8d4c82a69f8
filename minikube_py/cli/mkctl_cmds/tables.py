"""Turning the server's meta.k8s.io Table into the rows `kubectl get` prints.

kubectl 1.11+ does not know the columns of any kind: it asks the API server for
a Table (column definitions + cells per object) and only adds what depends on
the command line: `-o wide` shows the priority-1 columns, `-A` a NAMESPACE
column in front, several types at once prefix names with `kind.group/`, and
`--show-labels` a LABELS column at the end (from each row's object metadata).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from minikube_py.api.resources import ResourceType
from minikube_py.cli.mkctl_cmds.output import cell_text
from minikube_py.cli.mkctl_cmds.runtime import qualified_kind


@dataclass
class TableOptions:
    wide: bool = False
    with_namespace: bool = False
    with_kind: bool = False
    show_labels: bool = False
    no_headers: bool = False


@dataclass
class PrintedTable:
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    keys: list[tuple[str, str]] = field(default_factory=list)   # (namespace, name) of each row


def visible_columns(table: dict[str, Any], wide: bool) -> list[int]:
    """Indexes of the columns to show: priority 0 always, the rest only with -o wide."""
    return [i for i, column in enumerate(table.get("columnDefinitions") or [])
            if wide or column.get("priority", 0) == 0]


def labels_text(labels: dict[str, str] | None) -> str:
    if not labels:
        return "<none>"
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))


def render(rt: ResourceType, table: dict[str, Any], options: TableOptions) -> PrintedTable:
    """Header and text rows for one server Table."""
    definitions = table.get("columnDefinitions") or []
    columns = visible_columns(table, options.wide)
    header = [definitions[i]["name"].upper() for i in columns]
    if options.with_namespace:
        header.insert(0, "NAMESPACE")
    if options.show_labels:
        header.append("LABELS")
    printed = PrintedTable(header)
    for row in table.get("rows") or []:
        metadata = (row.get("object") or {}).get("metadata") or {}
        cells = row.get("cells") or []
        texts = []
        for i in columns:
            text = cell_text(cells[i] if i < len(cells) else None)
            if options.with_kind and definitions[i].get("format") == "name":
                text = f"{qualified_kind(rt)}/{text}"
            texts.append(text)
        if options.with_namespace:
            texts.insert(0, metadata.get("namespace", ""))
        if options.show_labels:
            texts.append(labels_text(metadata.get("labels")))
        printed.rows.append(texts)
        printed.keys.append((metadata.get("namespace", ""), metadata.get("name", "")))
    return printed


def merge_tables(tables: list[dict[str, Any]]) -> dict[str, Any]:
    """Several single-object Tables of one type (`get pods a b`) as one."""
    if not tables:
        return {"columnDefinitions": [], "rows": []}
    return {**tables[0], "rows": [row for table in tables for row in table.get("rows") or []]}
