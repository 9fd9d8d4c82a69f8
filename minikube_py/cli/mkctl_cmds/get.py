"""`mkctl get`: kubectl get, with server-side Tables, -o yaml|json|name|wide and --watch.

    mkctl get pods                      a table of one type
    mkctl get deploy,svc                several types: names become `deployment.apps/web`
    mkctl get all                       the types in the "all" category
    mkctl get pods a b / get pod/a      named objects (missing ones are reported, the rest printed)
    mkctl get pods -w                   the table, then one row per change (Ctrl-C ends it)
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import click

from minikube_py.api.errors import ApiError
from minikube_py.api.resources import ResourceType
from minikube_py.cli.mkctl_cmds.duration import DURATION
from minikube_py.cli.mkctl_cmds.errors import CliError, server_error
from minikube_py.cli.mkctl_cmds.output import print_objects, print_table
from minikube_py.cli.mkctl_cmds.runtime import (
    Session,
    command_runner,
    discovery_order,
    global_options,
    resource_type,
    split_type_name,
    warn,
)
from minikube_py.cli.mkctl_cmds.tables import PrintedTable, TableOptions, merge_tables, render


@dataclass
class GetRequest:
    rt: ResourceType
    names: list[str]            # empty: list the type


def parse_get_args(args: tuple[str, ...]) -> tuple[list[GetRequest], bool]:
    """The types and names asked for, and whether names must carry their kind."""
    if not args:
        raise CliError('error: You must specify the type of resource to get. '
                       'Use "mkctl api-resources" for a complete list of supported resources.')
    if any("/" in arg for arg in args):
        requests: dict[ResourceType, GetRequest] = {}
        for arg in args:
            rt, name = split_type_name(arg)
            requests.setdefault(rt, GetRequest(rt, [])).names.append(name)
        return list(requests.values()), True
    type_names = [t for t in args[0].split(",") if t]
    types: list[ResourceType] = []
    for type_name in type_names:
        expanded = ([rt for rt in discovery_order() if "all" in rt.categories]
                    if type_name == "all" else [resource_type(type_name)])
        types.extend(rt for rt in expanded if rt not in types)
    names = list(args[1:])
    return [GetRequest(rt, names) for rt in types], len(types) > 1 or "all" in type_names


@click.command("get")
@global_options
@click.argument("args", nargs=-1)
@click.option("-o", "--output", help="yaml|json|name|wide")
@click.option("-l", "--selector", help="Label selector, e.g. -l app=web,tier!=db")
@click.option("--field-selector", help="Field selector, e.g. --field-selector spec.nodeName=n1")
@click.option("-A", "--all-namespaces", is_flag=True, help="List across all namespaces.")
@click.option("-w", "--watch", is_flag=True, help="After listing, watch for changes.")
@click.option("--watch-timeout", type=DURATION, help="Stop watching after this many seconds.")
@click.option("--show-labels", is_flag=True, help="Show all labels as the last column.")
@click.option("--no-headers", is_flag=True, help="Leave out the header line of tables.")
@command_runner
async def get(session: Session, args: tuple[str, ...], output: str | None, selector: str | None,
              field_selector: str | None, all_namespaces: bool, watch: bool, watch_timeout: float | None,
              show_labels: bool, no_headers: bool) -> None:
    """Display one or many resources."""
    requests, with_kind = parse_get_args(args)
    getter = _Getter(session, selector, field_selector, all_namespaces)
    if output in ("yaml", "json", "name"):
        found = await getter.objects(requests)
        if found:
            single = len(requests) == 1 and len(requests[0].names) == 1
            print_objects(found, output, single)
    elif output not in (None, "wide"):
        print_objects([], output, False)           # reports the unknown format
    else:
        options = TableOptions(wide=output == "wide", with_namespace=all_namespaces,
                               with_kind=with_kind, show_labels=show_labels, no_headers=no_headers)
        printed = await getter.tables(requests, options)
        if watch:
            if len(requests) != 1:
                raise CliError("error: you may only specify a single resource type")
            await _watch(getter, requests[0], options, printed, watch_timeout)
    getter.report()


class _Getter:
    """Fetches what one `get` asks for; remembers per-object errors to report at the end."""

    def __init__(self, session: Session, selector: str | None, field_selector: str | None,
                 all_namespaces: bool) -> None:
        self.session = session
        self.selector, self.field_selector = selector, field_selector
        self.all_namespaces = all_namespaces
        self.errors: list[str] = []
        self.printed_any = False
        self.list_version: str | None = None     # where a watch continues from

    def client(self, rt: ResourceType, listing: bool = True):
        return self.session.resource(rt, all_namespaces=self.all_namespaces and listing)

    async def _each_name(self, request: GetRequest, fetch) -> list[Any]:
        results = []
        for name in request.names:
            try:
                results.append(await fetch(name))
            except ApiError as err:
                if err.code != 404:
                    raise
                self.errors.append(server_error(err))
        return results

    async def objects(self, requests: list[GetRequest]) -> list[tuple[ResourceType, dict]]:
        found: list[tuple[ResourceType, dict]] = []
        for request in requests:
            if request.names:
                items = await self._each_name(request, self.client(request.rt, listing=False).get)
            else:
                items, _ = await self.client(request.rt).list_all(
                    label_selector=self.selector, field_selector=self.field_selector)
            found.extend((request.rt, item) for item in items)
        if not found and not requests[0].names:
            self.no_resources(requests)
        return found

    async def table(self, request: GetRequest) -> dict[str, Any]:
        if request.names:
            client = self.client(request.rt, listing=False)
            return merge_tables(await self._each_name(request, lambda name: client.get_table(name)))
        return await self.client(request.rt).get_table(label_selector=self.selector,
                                                       field_selector=self.field_selector)

    async def tables(self, requests: list[GetRequest], options: TableOptions) -> PrintedTable | None:
        last: PrintedTable | None = None
        for request in requests:
            table = await self.table(request)
            self.list_version = (table.get("metadata") or {}).get("resourceVersion")
            if not table.get("rows"):
                continue
            if self.printed_any:
                click.echo("")
            last = render(request.rt, table, options)
            print_table(None if options.no_headers else last.header, last.rows)
            self.printed_any = True
        if not self.printed_any and not any(r.names for r in requests):
            self.no_resources(requests)
        return last

    def no_resources(self, requests: list[GetRequest]) -> None:
        if self.all_namespaces or not all(r.rt.namespaced for r in requests):
            warn("No resources found")
        else:
            warn(f"No resources found in {self.session.namespace} namespace.")

    def report(self) -> None:
        if self.errors:
            raise CliError("\n".join(self.errors))


async def _watch(getter: _Getter, request: GetRequest, options: TableOptions,
                 printed: PrintedTable | None, timeout: float | None) -> None:
    """Print a row for every change, like `kubectl get -w`.

    The rows come from the server's Table for the changed object; a deleted object
    is shown with the last row printed for it."""
    rows = dict(zip(printed.keys, printed.rows)) if printed else {}
    client = getter.client(request.rt)
    version = getter.list_version if not request.names else None
    try:
        async with asyncio.timeout(timeout):
            async for event in client.watch(resource_version=version, label_selector=getter.selector,
                                            field_selector=getter.field_selector):
                await _print_event(getter, request, options, event, rows)
    except TimeoutError:
        return


async def _print_event(getter: _Getter, request: GetRequest, options: TableOptions,
                       event: dict[str, Any], rows: dict[tuple[str, str], list[str]]) -> None:
    if event.get("type") == "ERROR":
        raise ApiError.from_status(event.get("object") or {})
    metadata = (event.get("object") or {}).get("metadata") or {}
    key = (metadata.get("namespace", ""), metadata.get("name", ""))
    if request.names and key[1] not in request.names:
        return
    if event.get("type") in ("ADDED", "MODIFIED"):
        try:
            table = await getter.session.resource(request.rt, key[0] or None).get_table(key[1])
        except ApiError as err:
            if err.code != 404:
                raise
            return
        fresh = render(request.rt, table, options)
        if fresh.rows:
            rows[key] = fresh.rows[0]
    if key in rows:
        print_table(None, [rows[key]])
        if event.get("type") == "DELETED":
            rows.pop(key)
