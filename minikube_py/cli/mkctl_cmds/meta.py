"""`mkctl label` and `mkctl annotate`: kubectl's way of editing metadata maps.

    mkctl label pods web tier=front          add (refused if `tier` has another value...)
    mkctl label pods web tier=back --overwrite   ...unless --overwrite is given
    mkctl label pods web tier-               remove
    mkctl annotate deploy/web note='hi'      same rules for annotations

The change goes to the server as one merge patch of metadata.labels (or
annotations): `{"metadata": {"labels": {"tier": "front", "old": null}}}`.
"""
from __future__ import annotations

from typing import Any

import click

from minikube_py.api.errors import ApiError
from minikube_py.api.resources import ResourceType
from minikube_py.cli.mkctl_cmds.errors import CliError, server_error
from minikube_py.cli.mkctl_cmds.runtime import (
    Session,
    command_runner,
    global_options,
    object_ref,
    resource_type,
    type_and_names,
    warn,
)


def split_changes(args: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, str], list[str]]:
    """`TYPE NAME k=v k2-` -> (("TYPE", "NAME"), {"k": "v"}, ["k2"])."""
    first = next((i for i, arg in enumerate(args) if "=" in arg or arg.endswith("-")), len(args))
    targets, changes = args[:first], args[first:]
    if not changes:
        raise CliError("error: at least one label update is required")
    updates, removals = {}, []
    for change in changes:
        if "=" in change:
            key, _, value = change.partition("=")
            if key in updates:
                raise CliError(f"error: {key} is given more than once")
            updates[key] = value
        elif change.endswith("-"):
            removals.append(change[:-1])
        else:
            raise CliError(f"error: invalid label spec: {change}")
    if set(updates) & set(removals):
        raise CliError("error: can not both modify and remove a label in the same command")
    return targets, updates, removals


def metadata_patch(field: str, current: dict[str, str], updates: dict[str, str], removals: list[str],
                   overwrite: bool) -> tuple[dict[str, Any], list[str]]:
    """The merge patch for one object, and the removals that found nothing (kubectl mentions them)."""
    changes: dict[str, str | None] = {}
    for key, value in updates.items():
        if key in current and current[key] != value and not overwrite:
            raise CliError(f"error: '{key}' already has a value ({current[key]}), and --overwrite is false")
        if current.get(key) != value:
            changes[key] = value
    missing = [key for key in removals if key not in current]
    changes.update({key: None for key in removals if key in current})
    return ({"metadata": {field: changes}} if changes else {}), missing


async def change_metadata(session: Session, field: str, done: str, args: tuple[str, ...],
                          overwrite: bool, selector: str | None, all_objects: bool) -> None:
    """The body shared by label and annotate."""
    target_args, updates, removals = split_changes(args)
    if selector is not None or all_objects:
        if len(target_args) != 1:
            raise CliError("error: a resource type (and no name) must be given with -l or --all")
        rt = resource_type(target_args[0])
        items, _ = await session.resource(rt).list_all(label_selector=selector)
        targets = [(rt, item["metadata"]["name"]) for item in items]
    else:
        targets = type_and_names(target_args)
    failures = []
    for rt, name in targets:
        try:
            click.echo(await _change_one(session, rt, name, field, done, updates, removals, overwrite))
        except ApiError as err:
            failures.append(server_error(err))
    if failures:
        raise CliError("\n".join(failures))


async def _change_one(session: Session, rt: ResourceType, name: str, field: str, done: str,
                      updates: dict[str, str], removals: list[str], overwrite: bool) -> str:
    client = session.resource(rt)
    current = (await client.get(name)).get("metadata", {}).get(field) or {}
    patch, missing = metadata_patch(field, current, updates, removals, overwrite)
    for key in missing:
        warn(f'{field[:-1]} "{key}" not found.')
    if not patch:
        return f"{object_ref(rt, name)} not {done}"
    await client.patch(name, patch, "merge")
    return f"{object_ref(rt, name)} {done}"


def _metadata_command(name: str, field: str, done: str, summary: str) -> click.Command:
    @click.command(name, help=summary)
    @global_options
    @click.argument("args", nargs=-1, required=True)
    @click.option("--overwrite", is_flag=True, help=f"Replace existing {field} values.")
    @click.option("-l", "--selector", help="Change every object of TYPE matching this selector.")
    @click.option("--all", "all_objects", is_flag=True, help="Change every object of TYPE in the namespace.")
    @command_runner
    async def command(session: Session, args: tuple[str, ...], overwrite: bool, selector: str | None,
                      all_objects: bool) -> None:
        await change_metadata(session, field, done, args, overwrite, selector, all_objects)
    return command


label = _metadata_command("label", "labels", "labeled", "Update the labels on resources (k=v to set, k- to remove).")
annotate = _metadata_command("annotate", "annotations", "annotated",
                             "Update the annotations on resources (k=v to set, k- to remove).")
