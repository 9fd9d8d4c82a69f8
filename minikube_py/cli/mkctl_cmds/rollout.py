"""`mkctl rollout status|history|undo|restart`: kubectl's Deployment rollout commands.

A Deployment keeps its history as ReplicaSets: each pod template it has run is
one ReplicaSet it owns, numbered by the annotation
`deployment.kubernetes.io/revision` (and described by `kubernetes.io/change-cause`
when someone set it). So:

* history lists those ReplicaSets by revision;
* undo copies the pod template of an older ReplicaSet back into the
  Deployment (the deployment controller then rolls forward to it, and that
  ReplicaSet gets the next revision number);
* restart changes the template (annotation `kubectl.kubernetes.io/restartedAt`)
  so every pod is replaced, with nothing else changed;
* status watches the Deployment until its controller reports that every
  replica runs the newest template and is available.
"""
from __future__ import annotations

import asyncio
import copy
from datetime import datetime
from typing import Any

import click

from minikube_py.api.conditions import find_condition
from minikube_py.api.resources import known
from minikube_py.cli.mkctl_cmds.describe_sections import pod_template_lines
from minikube_py.cli.mkctl_cmds.duration import DURATION
from minikube_py.cli.mkctl_cmds.errors import CliError
from minikube_py.cli.mkctl_cmds.output import print_table
from minikube_py.cli.mkctl_cmds.runtime import Session, command_runner, global_options, object_ref, type_and_names

DEPLOYMENTS = known("deployments")
REPLICASETS = known("replicasets")
REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
TEMPLATE_HASH = "pod-template-hash"
# Deployment annotations undo leaves alone (kubectl's annotationsToSkip).
ANNOTATIONS_TO_SKIP = {"kubectl.kubernetes.io/last-applied-configuration", REVISION,
                       "deployment.kubernetes.io/revision-history", "deployment.kubernetes.io/desired-replicas",
                       "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to"}


@click.group("rollout")
def rollout() -> None:
    """Manage the rollout of a Deployment: status, history, undo, restart."""


def deployment_name(args: tuple[str, ...]) -> str:
    targets = type_and_names(args)
    if len(targets) != 1:
        raise CliError("error: give exactly one deployment, e.g. deployment/web")
    rt, name = targets[0]
    if rt is not DEPLOYMENTS:
        raise CliError(f'error: no rollout support has been implemented for "{rt.kind}"; use a Deployment')
    return name


def revision_of(obj: dict[str, Any]) -> int:
    try:
        return int((obj.get("metadata", {}).get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


async def owned_replicasets(session: Session, deployment: dict[str, Any]) -> list[dict[str, Any]]:
    """The Deployment's ReplicaSets (controller ownerReference to its uid), oldest revision first."""
    uid = deployment["metadata"].get("uid")
    items, _ = await session.resource(REPLICASETS).list_all()
    owned = [rs for rs in items
             if any(ref.get("controller") and ref.get("uid") == uid
                    for ref in rs.get("metadata", {}).get("ownerReferences") or [])]
    return sorted(owned, key=revision_of)


# ---- status ---------------------------------------------------------------------------

def rollout_status(deployment: dict[str, Any]) -> tuple[str, bool]:
    """kubectl's message for a Deployment's state, and whether the rollout is done."""
    name = deployment["metadata"]["name"]
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    if deployment["metadata"].get("generation", 0) > status.get("observedGeneration", 0):
        return "Waiting for deployment spec update to be observed...", False
    progressing = find_condition(status.get("conditions"), "Progressing") or {}
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        raise CliError(f'error: deployment "{name}" exceeded its progress deadline')
    wanted, updated = spec.get("replicas", 1), status.get("updatedReplicas", 0)
    total, available = status.get("replicas", 0), status.get("availableReplicas", 0)
    waiting = f'Waiting for deployment "{name}" rollout to finish: '
    if updated < wanted:
        return f"{waiting}{updated} out of {wanted} new replicas have been updated...", False
    if total > updated:
        return f"{waiting}{total - updated} old replicas are pending termination...", False
    if available < updated:
        return f"{waiting}{available} of {updated} updated replicas are available...", False
    return f'deployment "{name}" successfully rolled out', True


@rollout.command("status")
@global_options
@click.argument("args", nargs=-1, required=True)
@click.option("-w", "--watch", type=bool, default=True, help="Keep watching until the rollout ends.")
@click.option("--timeout", type=DURATION, default=0, help="Give up after this many seconds (0: never).")
@command_runner
async def status(session: Session, args: tuple[str, ...], watch: bool, timeout: float) -> None:
    """Show the status of a rollout, waiting for it to finish."""
    name = deployment_name(args)
    client = session.resource(DEPLOYMENTS)
    last_message = ""

    def show(deployment: dict[str, Any]) -> bool:
        nonlocal last_message
        message, done = rollout_status(deployment)
        if message != last_message:
            click.echo(message)
            last_message = message
        return done

    deployment = await client.get(name)
    if show(deployment) or not watch:
        return
    try:
        async with asyncio.timeout(timeout or None):
            while True:       # a watch ends when the server's timeout does; then watch again
                version = deployment["metadata"]["resourceVersion"]
                async for event in client.watch(resource_version=version, field_selector=f"metadata.name={name}"):
                    if event.get("type") == "DELETED":
                        raise CliError(f'error: deployment "{name}" was deleted')
                    if event.get("type") == "MODIFIED":
                        deployment = event["object"]
                        if show(deployment):
                            return
                deployment = await client.get(name)
    except TimeoutError:
        raise CliError("error: timed out waiting for the condition") from None


# ---- history --------------------------------------------------------------------------

@rollout.command("history")
@global_options
@click.argument("args", nargs=-1, required=True)
@click.option("--revision", type=int, default=0, help="Show the pod template of this revision.")
@command_runner
async def history(session: Session, args: tuple[str, ...], revision: int) -> None:
    """List a Deployment's revisions (its ReplicaSets)."""
    name = deployment_name(args)
    deployment = await session.resource(DEPLOYMENTS).get(name)
    replicasets = await owned_replicasets(session, deployment)
    ref = object_ref(DEPLOYMENTS, name)
    if revision:
        rs = next((r for r in replicasets if revision_of(r) == revision), None)
        if rs is None:
            raise CliError("error: unable to find the specified revision")
        click.echo(f"{ref} with revision #{revision}")
        click.echo("\n".join(pod_template_lines(rs["spec"].get("template") or {})))
        return
    rows = [[str(revision_of(rs)), (rs["metadata"].get("annotations") or {}).get(CHANGE_CAUSE, "<none>")]
            for rs in replicasets if revision_of(rs)]
    if not rows:
        click.echo("No rollout history found.")
        return
    click.echo(ref)
    print_table(["REVISION", "CHANGE-CAUSE"], rows)
    click.echo("")


# ---- undo -----------------------------------------------------------------------------

def pick_revision(replicasets: list[dict[str, Any]], to_revision: int, name: str) -> dict[str, Any]:
    """The ReplicaSet to roll back to: the asked revision, else the one before the newest."""
    revisions = {revision_of(rs): rs for rs in replicasets if revision_of(rs)}
    if to_revision:
        if to_revision not in revisions:
            raise CliError(f"error: unable to find specified revision {to_revision} in history")
        return revisions[to_revision]
    if len(revisions) < 2:
        raise CliError(f'error: no rollout history found for deployment "{name}"')
    return revisions[sorted(revisions)[-2]]


def template_without_hash(template: dict[str, Any]) -> dict[str, Any]:
    """A ReplicaSet's template as its Deployment had it: without the pod-template-hash label."""
    result = copy.deepcopy(template)
    labels = result.get("metadata", {}).get("labels")
    if labels:
        labels.pop(TEMPLATE_HASH, None)
    return result


@rollout.command("undo")
@global_options
@click.argument("args", nargs=-1, required=True)
@click.option("--to-revision", type=int, default=0, help="The revision to go back to (0: the previous one).")
@command_runner
async def undo(session: Session, args: tuple[str, ...], to_revision: int) -> None:
    """Roll back to a previous revision of a Deployment."""
    name = deployment_name(args)
    client = session.resource(DEPLOYMENTS)
    deployment = await client.get(name)
    if (deployment.get("spec") or {}).get("paused"):
        raise CliError(f'error: you cannot rollback a paused deployment; resume it first with '
                       f'\'mkctl rollout resume deployment/{name}\' and try again')
    target = pick_revision(await owned_replicasets(session, deployment), to_revision, name)
    template = template_without_hash(target["spec"].get("template") or {})
    if template == (deployment.get("spec") or {}).get("template"):
        click.echo(f"{object_ref(DEPLOYMENTS, name)} skipped rollback "
                   f"(current template already matches revision {revision_of(target)})")
        return
    annotations = {k: v for k, v in (deployment["metadata"].get("annotations") or {}).items()
                   if k in ANNOTATIONS_TO_SKIP}
    annotations.update({k: v for k, v in (target["metadata"].get("annotations") or {}).items()
                        if k not in ANNOTATIONS_TO_SKIP})
    await client.patch(name, [
        {"op": "test", "path": "/metadata/resourceVersion", "value": deployment["metadata"]["resourceVersion"]},
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace" if "annotations" in deployment["metadata"] else "add",
         "path": "/metadata/annotations", "value": annotations},
    ], "json")
    click.echo(f"{object_ref(DEPLOYMENTS, name)} rolled back")


# ---- restart --------------------------------------------------------------------------

@rollout.command("restart")
@global_options
@click.argument("args", nargs=-1, required=True)
@command_runner
async def restart(session: Session, args: tuple[str, ...]) -> None:
    """Restart every pod of a Deployment by stamping its pod template."""
    name = deployment_name(args)
    client = session.resource(DEPLOYMENTS)
    deployment = await client.get(name)
    if (deployment.get("spec") or {}).get("paused"):
        raise CliError("error: can't restart paused deployment (run rollout resume first)")
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    await client.patch(name, {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}},
                       "strategic")
    click.echo(f"{object_ref(DEPLOYMENTS, name)} restarted")
