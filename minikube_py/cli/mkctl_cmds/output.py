"""Printing objects the way kubectl's printers do: -o yaml|json|name, and tables.

* yaml: keys sorted (Go marshals maps sorted), lists not indented under their
  key, multi-line strings as `|` blocks;
* json: four-space indent;
* name: `kind.group/name` (`deployment.apps/web`, `pod/p`);
* tables: kubectl's tabwriter layout (columns padded to the widest cell plus
  three spaces) when the output is a pipe or file, so scripts and tests read
  stable text; a rich table with a bold header when a terminal is attached.

Several objects printed as yaml/json are wrapped in a `kind: List`, as kubectl does.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import click
import yaml
from rich.console import Console
from rich.table import Table

from minikube_py.api.resources import ResourceType
from minikube_py.cli.mkctl_cmds.errors import CliError

OUTPUT_FORMATS = ("yaml", "json", "name", "wide")
COLUMN_GAP = 3
NONE = "<none>"


class _KubectlYamlDumper(yaml.SafeDumper):
    """Block style everywhere, and `|` for strings that hold newlines."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """go-yaml's choice: `|` for text with newlines, double quotes for strings that would
    read back as another type ("22", "true", timestamps), PyYAML's choice otherwise."""
    if "\n" in value:
        style = "|"
    elif dumper.resolve(yaml.ScalarNode, value, (True, False)) != "tag:yaml.org,2002:str":
        style = '"'
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_KubectlYamlDumper.add_representer(str, _represent_str)


def to_yaml(obj: Any) -> str:
    return yaml.dump(obj, Dumper=_KubectlYamlDumper, default_flow_style=False, sort_keys=True,
                     allow_unicode=True, width=1 << 16)


def to_json(obj: Any) -> str:
    return json.dumps(obj, indent=4, ensure_ascii=False, sort_keys=True)


def as_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    """What kubectl prints for several objects: a v1 List."""
    return {"apiVersion": "v1", "items": items, "kind": "List",
            "metadata": {"resourceVersion": "", "selfLink": ""}}


def with_type(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """List items may lack apiVersion/kind; printed objects always carry them, first."""
    return {"apiVersion": rt.api_version, "kind": rt.kind,
            **{k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}}


def print_objects(objects: list[tuple[ResourceType, dict[str, Any]]], output: str, single: bool) -> None:
    """-o yaml|json|name for objects that were fetched whole."""
    if output == "name":
        for rt, obj in objects:
            click.echo(object_name(rt, obj))
        return
    typed = [with_type(rt, obj) for rt, obj in objects]
    document = typed[0] if single and len(typed) == 1 else as_list(typed)
    if output == "yaml":
        click.echo(to_yaml(document), nl=False)
    elif output == "json":
        click.echo(to_json(document))
    else:
        raise CliError(f"error: unable to match a printer suitable for the output format \"{output}\", "
                       f"allowed formats are: {','.join(OUTPUT_FORMATS)}")


def object_name(rt: ResourceType, obj: dict[str, Any]) -> str:
    kind = f"{rt.singular}.{rt.group}" if rt.group else rt.singular
    return f"{kind}/{obj.get('metadata', {}).get('name', '')}"


# ---- tables -------------------------------------------------------------------------

def cell_text(value: Any) -> str:
    """One table cell as kubectl prints it."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def tabwrite(text_lines: Sequence[str], padding: int) -> list[str]:
    """Align tab-separated cells like Go's text/tabwriter, which kubectl prints through.

    A column is aligned over a *block* of consecutive lines that all have a cell
    in it; the text after a line's last tab is not part of any column, so a
    line without tabs ends every block (that is why `describe` output aligns
    section by section)."""
    lines = [line.split("\t") for line in text_lines]
    out = ["" for _ in lines]

    def format_block(first: int, last: int, column: int) -> None:
        row = first
        while row < last:
            if column >= len(lines[row]) - 1:
                row += 1
                continue
            start = row
            while row < last and column < len(lines[row]) - 1:
                row += 1
            width = max(len(lines[i][column]) for i in range(start, row)) + padding
            for i in range(start, row):
                out[i] += lines[i][column].ljust(width)
            format_block(start, row, column + 1)

    format_block(0, len(lines), 0)
    return [(aligned + cells[-1]).rstrip() for aligned, cells in zip(out, lines)]


def tabwriter_lines(header: Sequence[str] | None, rows: Iterable[Sequence[str]]) -> list[str]:
    """A table laid out as kubectl get does (tabwriter, padding 3)."""
    table = ([list(header)] if header else []) + [list(row) for row in rows]
    return tabwrite(["\t".join(row) for row in table], COLUMN_GAP)


def print_table(header: Sequence[str] | None, rows: Sequence[Sequence[str]]) -> None:
    """A table on stdout: rich on a terminal, kubectl's plain layout otherwise."""
    console = Console()
    if not console.is_terminal:
        for line in tabwriter_lines(header, rows):
            click.echo(line)
        return
    table = Table(box=None, pad_edge=False, padding=(0, COLUMN_GAP, 0, 0), show_header=bool(header),
                  header_style="bold")
    for title in header or [""] * (len(rows[0]) if rows else 0):
        table.add_column(title, no_wrap=True, overflow="ignore")
    for row in rows:
        table.add_row(*row)
    console.print(table, soft_wrap=True)
