"""`mkctl events`, `api-resources` and `version`: looking at the cluster itself.

* events: like `kubectl events` (kubectl 1.26+; with 1.20 use `kubectl get
  events`), the Events of a namespace sorted by when they last happened, oldest first.
* api-resources: what the server's discovery documents (/api, /api/v1, /apis,
  /apis/<group>/<version>) say it serves; kubectl builds its type names from
  exactly these lists.
* version: this client's version and the server's /version.
"""
from __future__ import annotations

from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import click

from minikube_py.api.resources import known, lookup
from minikube_py.api.times import parse_time, since
from minikube_py.cli.mkctl_cmds.output import print_table
from minikube_py.cli.mkctl_cmds.runtime import Session, command_runner, global_options, split_type_name, warn

NEVER = "0001-01-01T00:00:00Z"
NEVER_TIME = datetime(1, 1, 1, tzinfo=UTC)


# ---- events ---------------------------------------------------------------------------

def last_seen(event: dict[str, Any]) -> str:
    """The newest of the times an Event records (series, lastTimestamp, eventTime, creation)."""
    return ((event.get("series") or {}).get("lastObservedTime") or event.get("lastTimestamp")
            or event.get("eventTime") or event.get("metadata", {}).get("creationTimestamp") or NEVER)


def involved_ref(event: dict[str, Any]) -> str:
    involved = event.get("involvedObject") or {}
    kind = involved.get("kind", "")
    rt = lookup(kind) if kind else None
    kind_text = (f"{rt.singular}.{rt.group}" if rt and rt.group else kind.lower()) if kind else ""
    return f"{kind_text}/{involved.get('name', '')}"


def event_rows(events: list[dict[str, Any]], with_namespace: bool) -> list[list[str]]:
    ordered = sorted(events, key=lambda e: parse_time(last_seen(e)) or NEVER_TIME)
    rows = []
    for event in ordered:
        row = [since(last_seen(event)), event.get("type", ""), event.get("reason", ""),
               involved_ref(event), " ".join(str(event.get("message", "")).split())]
        if with_namespace:
            row.insert(0, event.get("metadata", {}).get("namespace", ""))
        rows.append(row)
    return rows


@click.command("events")
@global_options
@click.option("-A", "--all-namespaces", is_flag=True, help="Events of every namespace.")
@click.option("--for", "for_object", help="Only events about this object, as TYPE/NAME.")
@command_runner
async def events(session: Session, all_namespaces: bool, for_object: str | None) -> None:
    """List Events, oldest first."""
    field_selector = None
    if for_object:
        rt, name = split_type_name(for_object)
        field_selector = f"involvedObject.kind={rt.kind},involvedObject.name={name}"
    client = session.resource(known("events"), all_namespaces=all_namespaces)
    items, _ = await client.list_all(field_selector=field_selector)
    if not items:
        warn("No events found" if all_namespaces else f"No events found in {session.namespace} namespace.")
        return
    header = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    print_table(["NAMESPACE", *header] if all_namespaces else header, event_rows(items, all_namespaces))


# ---- api-resources --------------------------------------------------------------------

async def discovered_resources(session: Session) -> list[tuple[str, dict[str, Any]]]:
    """(groupVersion, APIResource) for every resource discovery lists, subresources left out."""
    paths = [f"/api/{v}" for v in (await session.api.request("GET", "/api")).get("versions", [])]
    for group in (await session.api.request("GET", "/apis")).get("groups", []):
        preferred = (group.get("preferredVersion") or {}).get("groupVersion")
        if preferred:
            paths.append(f"/apis/{preferred}")
    found: list[tuple[str, dict[str, Any]]] = []
    for path in paths:
        resource_list = await session.api.request("GET", path)
        gv = resource_list.get("groupVersion", path.split("/", 2)[-1])
        found.extend((gv, r) for r in resource_list.get("resources", []) if "/" not in r.get("name", ""))
    return found


@click.command("api-resources")
@global_options
@click.option("--namespaced", type=bool, default=None, help="true: only namespaced types; false: only cluster-wide.")
@command_runner
async def api_resources(session: Session, namespaced: bool | None) -> None:
    """Print the resource types the server supports (from its discovery endpoints)."""
    found = sorted(await discovered_resources(session),        # kubectl: by group, then by name
                   key=lambda entry: (entry[0].rpartition("/")[0], entry[1]["name"]))
    rows = [[r["name"], ",".join(r.get("shortNames") or []), gv, str(bool(r.get("namespaced"))).lower(), r["kind"]]
            for gv, r in found if namespaced is None or bool(r.get("namespaced")) == namespaced]
    print_table(["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"], rows)


# ---- version --------------------------------------------------------------------------

def client_version() -> str:
    try:
        return f"v{metadata.version('minikube-py')}"
    except metadata.PackageNotFoundError:
        return "v0.0.0-unknown"


@click.command("version")
@global_options
@click.option("--client", "client_only", is_flag=True, help="Only the client version (no server needed).")
@command_runner
async def version(session: Session, client_only: bool) -> None:
    """Print the client and server versions."""
    click.echo(f"Client Version: {client_version()} (mkctl, minikube-py)")
    if client_only:
        return
    server = await session.api.request("GET", "/version")
    click.echo(f"Server Version: {server.get('gitVersion', '')} "
               f"(Kubernetes API {server.get('major', '')}.{server.get('minor', '')}, {server.get('platform', '')})")
