"""`mkctl describe TYPE NAME`: kubectl describe, one readable page per object.

The page gathers what a learner looks for: the object's identity and
metadata, the important spec and status fields of its kind, related objects
(a Deployment's ReplicaSets, a Service's Endpoints, a Node's pods), and at
the end the Events recorded about it - found, like kubectl does, by listing
Events with the field selector involvedObject.name/namespace/kind/uid.
minikube-py's scheduler explains its choice in the annotation
`scheduler.minikube-py.io/decision`; describe shows it under its own heading.
The per-kind pages are in describe_kinds.py.
"""
from __future__ import annotations

import click

from minikube_py.api.errors import ApiError
from minikube_py.api.resources import ResourceType, known
from minikube_py.cli.mkctl_cmds.describe_kinds import DESCRIBERS, describe_generic
from minikube_py.cli.mkctl_cmds.describe_sections import Obj, Writer, write_events
from minikube_py.cli.mkctl_cmds.errors import CliError, server_error
from minikube_py.cli.mkctl_cmds.runtime import Session, command_runner, global_options, resource_type, warn

SCHEDULING_DECISION = "scheduler.minikube-py.io/decision"
EVENTS = known("events")


def events_selector(rt: ResourceType, obj: Obj) -> str:
    """kubectl's field selector for the Events about one object (nodes: no uid, kubelets use the name)."""
    metadata = obj.get("metadata") or {}
    fields = {"involvedObject.kind": rt.kind, "involvedObject.name": metadata.get("name", "")}
    if rt.namespaced:
        fields["involvedObject.namespace"] = metadata.get("namespace", "")
    if rt.kind != "Node" and metadata.get("uid"):
        fields["involvedObject.uid"] = metadata["uid"]
    return ",".join(f"{k}={v}" for k, v in fields.items())


async def events_about(session: Session, rt: ResourceType, obj: Obj) -> list[Obj]:
    namespace = (obj.get("metadata") or {}).get("namespace")
    client = session.resource(EVENTS, namespace, all_namespaces=not rt.namespaced)
    items, _ = await client.list_all(field_selector=events_selector(rt, obj))
    return items


def write_scheduling_decision(w: Writer, obj: Obj) -> None:
    decision = ((obj.get("metadata") or {}).get("annotations") or {}).get(SCHEDULING_DECISION)
    if decision:
        w.line(0, "Scheduling decision:")
        for line in str(decision).splitlines():
            w.line(1, line)


async def describe_page(session: Session, rt: ResourceType, obj: Obj) -> str:
    w = Writer()
    await DESCRIBERS.get(rt.kind, describe_generic)(session, w, rt, obj)
    write_scheduling_decision(w, obj)
    if rt.kind != "Namespace":            # kubectl shows no Events for namespaces
        write_events(w, await events_about(session, rt, obj))
    return w.text()


async def _named_or_selected(session: Session, rt: ResourceType, names: tuple[str, ...],
                             selector: str | None) -> list[Obj]:
    client = session.resource(rt)
    if names:
        return [await client.get(name) for name in names]
    items, _ = await client.list_all(label_selector=selector)
    return items


@click.command("describe")
@global_options
@click.argument("args", nargs=-1, required=True)
@click.option("-l", "--selector", help="Describe every object of TYPE matching this selector.")
@command_runner
async def describe(session: Session, args: tuple[str, ...], selector: str | None) -> None:
    """Show details of a resource: describe TYPE [NAME...] or TYPE/NAME."""
    if "/" in args[0]:
        rt_name = args[0].split("/", 1)
        rt, names = resource_type(rt_name[0]), (rt_name[1], *args[1:])
    else:
        rt, names = resource_type(args[0]), args[1:]
    failures = []
    pages = []
    for name in names or (None,):
        try:
            objects = await _named_or_selected(session, rt, (name,) if name else (), selector)
        except ApiError as err:
            if err.code != 404:
                raise
            failures.append(server_error(err))
            continue
        pages.extend([await describe_page(session, rt, obj) for obj in objects])
    if pages:
        click.echo("\n\n".join(page.rstrip("\n") for page in pages))
    elif not failures:
        warn(f"No resources found in {session.namespace} namespace." if rt.namespaced else "No resources found")
    if failures:
        raise CliError("\n".join(failures))
