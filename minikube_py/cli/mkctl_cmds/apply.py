"""`mkctl apply`, `create` and `delete`: kubectl's manifest-driven commands.

    apply -f FILE|DIR|-   create what is missing, else patch it to match the manifest
                          (kubectl's client-side apply, see three_way.py), printing
                          `deployment.apps/web created|configured|unchanged`
    create -f ...         POST each object; AlreadyExists is an error
    delete TYPE NAME...   or TYPE/NAME, -f manifests, -l selector, --all; prints `pod "x" deleted`

Like kubectl, one bad object does not stop the others: each failure is reported
on stderr and the command exits 1 at the end.
"""
from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable

import click

from minikube_py.api.errors import ApiError
from minikube_py.api.resources import ResourceType
from minikube_py.cli.mkctl_cmds.errors import CliError, server_error
from minikube_py.cli.mkctl_cmds.manifests import Manifest, read_manifests
from minikube_py.cli.mkctl_cmds.runtime import (
    Session,
    command_runner,
    global_options,
    object_ref,
    qualified_kind,
    resource_type,
    type_and_names,
    warn,
)
from minikube_py.cli.mkctl_cmds.three_way import (
    LAST_APPLIED,
    last_applied,
    strategies_for,
    three_way_patch,
    with_last_applied,
)

filename_option = click.option("-f", "--filename", "filenames", multiple=True,
                               help="A manifest file, a directory of them, or - for stdin.")
recursive_option = click.option("-R", "--recursive", is_flag=True, help="Read directories recursively.")


def placed(session: Session, manifest: Manifest) -> Manifest:
    """The manifest with its namespace filled in, refusing one that contradicts -n (as kubectl does)."""
    obj = copy.deepcopy(manifest.obj)
    if manifest.rt.namespaced:
        own = obj["metadata"].get("namespace")
        if own and session.explicit_namespace and own != session.namespace:
            raise CliError(f'error: the namespace from the provided object "{own}" does not match the '
                           f'namespace "{session.namespace}". You must pass \'--namespace={own}\' '
                           f'to perform this operation.')
        obj["metadata"]["namespace"] = own or session.namespace
    return Manifest(manifest.source, obj, manifest.rt)


async def for_each_manifest(session: Session, filenames: tuple[str, ...], recursive: bool,
                            action: Callable[[Session, Manifest], Awaitable[str]], doing: str) -> None:
    """Run `action` on every object of the manifests, printing its line; report failures at the end
    (`doing` completes kubectl's `error when <doing> "web.yaml": ...`)."""
    if not filenames:
        raise CliError("error: must specify one of -f and -k")
    failures: list[str] = []
    for manifest in read_manifests(filenames, recursive):
        try:
            click.echo(await action(session, placed(session, manifest)))
        except ApiError as err:
            failures.append(server_error(err, f'error when {doing} "{manifest.source}"'))
        except CliError as err:
            failures.append(err.message)
    if failures:
        raise CliError("\n".join(failures))


# ---- apply ----------------------------------------------------------------------------

async def apply_one(session: Session, manifest: Manifest) -> str:
    """Create the object, or patch it with the three-way patch; say which, like kubectl."""
    ref = object_ref(manifest.rt, manifest.name)
    if not manifest.name:
        raise CliError(f'error: error when retrieving current configuration of "{manifest.source}": '
                       f"resource name may not be empty")
    client = session.resource(manifest.rt, manifest.namespace(session.namespace))
    modified = with_last_applied(manifest.obj)
    try:
        live = await client.get(manifest.name)
    except ApiError as err:
        if err.code != 404:
            raise
        await client.create(modified)
        return f"{ref} created"
    original = last_applied(live)
    if original is None:
        warn(f"Warning: resource {manifest.rt.plural}/{manifest.name} is missing the {LAST_APPLIED} "
             f"annotation which is required by mkctl apply. It will be patched automatically.")
    patch = three_way_patch(original, modified, live, strategies_for(manifest.rt.api_version, manifest.rt.kind))
    if not patch:
        return f"{ref} unchanged"
    await client.patch(manifest.name, patch, "strategic")
    return f"{ref} configured"


@click.command("apply")
@global_options
@filename_option
@recursive_option
@command_runner
async def apply(session: Session, filenames: tuple[str, ...], recursive: bool) -> None:
    """Apply a configuration to resources from manifests (create or update)."""
    await for_each_manifest(session, filenames, recursive, apply_one, "applying")


# ---- create ---------------------------------------------------------------------------

async def create_one(session: Session, manifest: Manifest) -> str:
    client = session.resource(manifest.rt, manifest.namespace(session.namespace))
    created = await client.create(manifest.obj)
    return f"{object_ref(manifest.rt, created.get('metadata', {}).get('name', manifest.name))} created"


@click.command("create")
@global_options
@filename_option
@recursive_option
@command_runner
async def create(session: Session, filenames: tuple[str, ...], recursive: bool) -> None:
    """Create resources from manifests."""
    await for_each_manifest(session, filenames, recursive, create_one, "creating")


# ---- delete ---------------------------------------------------------------------------

def deleted_line(rt: ResourceType, name: str) -> str:
    return f'{qualified_kind(rt)} "{name}" deleted'


async def delete_named(session: Session, rt: ResourceType, name: str, grace_period: int | None,
                       namespace: str | None = None) -> str:
    await session.resource(rt, namespace).delete(name, grace_period_seconds=grace_period)
    return deleted_line(rt, name)


@click.command("delete")
@global_options
@click.argument("args", nargs=-1)
@filename_option
@recursive_option
@click.option("-l", "--selector", help="Delete the objects of TYPE matching this label selector.")
@click.option("--all", "delete_all", is_flag=True, help="Delete every object of TYPE in the namespace.")
@click.option("--grace-period", type=int, default=-1,
              help="Seconds the pods get to stop (-1: the object's default; 0: immediately).")
@click.option("--ignore-not-found", is_flag=True, help="Treat a missing object as deleted.")
@command_runner
async def delete(session: Session, args: tuple[str, ...], filenames: tuple[str, ...], recursive: bool,
                 selector: str | None, delete_all: bool, grace_period: int, ignore_not_found: bool) -> None:
    """Delete resources by name, by label selector, or from manifests."""
    grace = None if grace_period < 0 else grace_period

    async def delete_one(session: Session, manifest: Manifest) -> str:
        return await delete_named(session, manifest.rt, manifest.name, grace,
                                  manifest.namespace(session.namespace))

    if filenames:
        await for_each_manifest(session, filenames, recursive, delete_one, "deleting")
        return
    if selector is not None or delete_all:
        targets = await _selected(session, args, selector)
    else:
        targets = type_and_names(args)
    failures = []
    for rt, name in targets:
        try:
            click.echo(await delete_named(session, rt, name, grace))
        except ApiError as err:
            if not (ignore_not_found and err.code == 404):
                failures.append(server_error(err))
    if failures:
        raise CliError("\n".join(failures))


async def _selected(session: Session, args: tuple[str, ...], selector: str | None) -> list[tuple[ResourceType, str]]:
    if len(args) != 1:
        raise CliError("error: a resource type (and no name) must be given with -l or --all")
    targets: list[tuple[ResourceType, str]] = []
    for type_name in args[0].split(","):
        rt = resource_type(type_name)
        items, _ = await session.resource(rt).list_all(label_selector=selector)
        targets.extend((rt, item["metadata"]["name"]) for item in items)
    if not targets:
        warn("No resources found")
    return targets
