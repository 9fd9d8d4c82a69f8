"""`mkctl cordon|uncordon|drain|taint`: kubectl's node maintenance commands.

* cordon / uncordon set or clear `spec.unschedulable`; the scheduler leaves
  unschedulable nodes out (existing pods keep running).
* drain = cordon, then remove the node's pods so their controllers recreate
  them elsewhere. Like kubectl it refuses, before touching any pod, when a pod
  would be lost for good: one with no controller (unless --force), one owned by
  a DaemonSet (it would come straight back; --ignore-daemonsets skips them), one
  with emptyDir data (unless --delete-emptydir-data). Like kubectl it *evicts*
  the pods (POST pods/<name>/eviction), which honours PodDisruptionBudgets: an
  eviction that would violate one is answered 429 and tried again every 5 s,
  until the budget allows it (or --timeout). `--disable-eviction` deletes
  instead, ignoring budgets. Either way drain waits until the pods are gone.
* taint adds `key[=value]:Effect` to spec.taints or removes `key[:Effect]-`.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import click

from minikube_py.api.errors import ApiError
from minikube_py.api.resources import known, lookup
from minikube_py.cli.mkctl_cmds.duration import DURATION
from minikube_py.cli.mkctl_cmds.errors import CliError
from minikube_py.cli.mkctl_cmds.runtime import Session, command_runner, global_options, resource_type, warn

NODES = known("nodes")
PODS = known("pods")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
CONTROLLER_KINDS = "ReplicationController, ReplicaSet, Job, DaemonSet or StatefulSet"
POLL_SECONDS = 0.2
EVICTION_RETRY_SECONDS = 5.0     # kubectl drain's wait after a 429 TooManyRequests


def node_names(args: tuple[str, ...]) -> list[str]:
    """`n1 n2`, `node/n1` or `nodes n1`: the node names kubectl would accept."""
    names = []
    for arg in args:
        kind, sep, name = arg.partition("/")
        if sep and resource_type(kind) is not NODES:
            raise CliError(f"error: {arg} is not a node")
        names.append(name if sep else arg)
    if names and lookup(names[0]) is NODES and len(names) > 1:
        names = names[1:]
    return names


async def set_unschedulable(session: Session, name: str, unschedulable: bool) -> str:
    """Cordon (True) or uncordon (False) one node; kubectl's line for what happened."""
    client = session.resource(NODES)
    node = await client.get(name)
    verb = "cordoned" if unschedulable else "uncordoned"
    if bool((node.get("spec") or {}).get("unschedulable")) == unschedulable:
        return f"node/{name} already {verb}"
    await client.patch(name, {"spec": {"unschedulable": True if unschedulable else None}}, "strategic")
    return f"node/{name} {verb}"


def _cordon_command(name: str, unschedulable: bool, summary: str) -> click.Command:
    @click.command(name, help=summary)
    @global_options
    @click.argument("nodes", nargs=-1, required=True)
    @command_runner
    async def command(session: Session, nodes: tuple[str, ...]) -> None:
        for node in node_names(nodes):
            click.echo(await set_unschedulable(session, node, unschedulable))
    return command


cordon = _cordon_command("cordon", True, "Mark nodes as unschedulable.")
uncordon = _cordon_command("uncordon", False, "Mark nodes as schedulable.")


# ---- drain ----------------------------------------------------------------------------

@dataclass
class DrainPlan:
    """Which pods of a node go, which stay, and why drain must refuse."""
    to_delete: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _controller(pod: dict[str, Any]) -> dict[str, Any] | None:
    refs = pod.get("metadata", {}).get("ownerReferences") or []
    return next((ref for ref in refs if ref.get("controller")), None)


def _has_emptydir(pod: dict[str, Any]) -> bool:
    return any("emptyDir" in volume for volume in (pod.get("spec") or {}).get("volumes") or [])


def _pod_ref(pod: dict[str, Any]) -> str:
    return f"{pod['metadata'].get('namespace', '')}/{pod['metadata']['name']}"


def plan_drain(pods: list[dict[str, Any]], *, force: bool, ignore_daemonsets: bool,
               delete_emptydir_data: bool) -> DrainPlan:
    """kubectl's pod filters, in its order: DaemonSet pods, unmanaged pods, local storage."""
    plan = DrainPlan()
    buckets: dict[tuple[str, bool], list[str]] = {}

    def note(problem: str, fatal: bool, pod: dict[str, Any]) -> None:
        buckets.setdefault((problem, fatal), []).append(_pod_ref(pod))

    for pod in pods:
        controller = _controller(pod)
        if controller and controller.get("kind") == "DaemonSet":
            note("DaemonSet-managed Pods", not ignore_daemonsets, pod)
            continue
        if controller is None:
            note("unmanaged", not force, pod)
        if _has_emptydir(pod):
            note("local storage", not delete_emptydir_data, pod)
        plan.to_delete.append(pod)
    messages = {
        ("DaemonSet-managed Pods", True): "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)",
        ("DaemonSet-managed Pods", False): "ignoring DaemonSet-managed Pods",
        ("unmanaged", True): f"cannot delete Pods not managed by {CONTROLLER_KINDS} (use --force to override)",
        ("unmanaged", False): f"deleting Pods not managed by {CONTROLLER_KINDS}",
        ("local storage", True): "cannot delete Pods with local storage (use --delete-emptydir-data to override)",
        ("local storage", False): "deleting Pods with local storage",
    }
    for (problem, fatal), refs in buckets.items():
        (plan.errors if fatal else plan.warnings).append(f"{messages[(problem, fatal)]}: {', '.join(refs)}")
    return plan


async def _wait_gone(session: Session, pod: dict[str, Any]) -> None:
    """Until the pod (this very one: same uid) no longer exists."""
    client = session.resource(PODS, pod["metadata"]["namespace"])
    while True:
        try:
            current = await client.get(pod["metadata"]["name"])
        except ApiError as err:
            if err.code == 404:
                return
            raise
        if current["metadata"].get("uid") != pod["metadata"].get("uid"):
            return
        await asyncio.sleep(POLL_SECONDS)


async def _delete_pod(session: Session, pod: dict[str, Any], grace_period: int | None) -> None:
    client = session.resource(PODS, pod["metadata"]["namespace"])
    try:
        await client.delete(pod["metadata"]["name"], grace_period_seconds=grace_period)
    except ApiError as err:
        if err.code != 404:
            raise
    await _wait_gone(session, pod)
    click.echo(f"pod/{pod['metadata']['name']} deleted")


def _namespace_terminating(err: ApiError) -> bool:
    return any(cause.get("reason") == "NamespaceTerminating" for cause in (err.details or {}).get("causes") or [])


async def _evict_pod(session: Session, pod: dict[str, Any], grace_period: int | None) -> None:
    """Evict one pod, retrying while its disruption budget says no (429), as kubectl drain does."""
    meta = pod["metadata"]
    client = session.resource(PODS, meta["namespace"])
    eviction: dict[str, Any] = {"apiVersion": "policy/v1", "kind": "Eviction",
                                "metadata": {"name": meta["name"], "namespace": meta["namespace"]}}
    if grace_period is not None:
        eviction["deleteOptions"] = {"gracePeriodSeconds": grace_period}
    click.echo(f"evicting pod {_pod_ref(pod)}")
    while True:
        try:
            await client.post_subresource(meta["name"], "eviction", eviction)
            break
        except ApiError as err:
            if err.code == 404:
                break
            if err.code == 429:
                warn(f'error when evicting pods/"{meta["name"]}" -n "{meta["namespace"]}" '
                     f"(will retry after {EVICTION_RETRY_SECONDS:g}s): {err.message}")
                await asyncio.sleep(EVICTION_RETRY_SECONDS)
                continue
            if err.code == 403 and _namespace_terminating(err) and meta.get("deletionTimestamp"):
                break     # its namespace is going away and takes the pod with it
            raise
    await _wait_gone(session, pod)
    click.echo(f"pod/{meta['name']} evicted")


def _abort(node: str, reason: str) -> CliError:
    return CliError(f'error: unable to drain node "{node}", aborting command...\n\n'
                    f"There are pending nodes to be drained:\n {node}\n{reason}")


@click.command("drain")
@global_options
@click.argument("node")
@click.option("--force", is_flag=True, help="Also delete pods that no controller manages.")
@click.option("--ignore-daemonsets", is_flag=True, help="Leave DaemonSet-managed pods in place.")
@click.option("--delete-emptydir-data", "--delete-local-data", "delete_emptydir_data", is_flag=True,
              help="Also delete pods using emptyDir (their data is lost).")
@click.option("--grace-period", type=int, default=-1, help="Seconds each pod gets to stop (-1: its own).")
@click.option("--timeout", type=DURATION, default=0, help="Give up after this many seconds (0: wait forever).")
@click.option("--disable-eviction", is_flag=True,
              help="Delete pods instead of evicting them, ignoring PodDisruptionBudgets.")
@command_runner
async def drain(session: Session, node: str, force: bool, ignore_daemonsets: bool,
                delete_emptydir_data: bool, grace_period: int, timeout: float, disable_eviction: bool) -> None:
    """Drain a node for maintenance: cordon it, then evict its pods (honouring disruption budgets)."""
    [node] = node_names((node,))
    click.echo(await set_unschedulable(session, node, True))
    pods, _ = await session.resource(PODS, all_namespaces=True).list_all(field_selector=f"spec.nodeName={node}")
    plan = plan_drain(pods, force=force, ignore_daemonsets=ignore_daemonsets,
                      delete_emptydir_data=delete_emptydir_data)
    if plan.errors:
        raise _abort(node, "\n".join(f"error: {e}" for e in plan.errors))
    for warning in plan.warnings:
        warn(f"WARNING: {warning}")
    grace = None if grace_period < 0 else grace_period
    try:
        async with asyncio.timeout(timeout or None):
            remove = _delete_pod if disable_eviction else _evict_pod
            await asyncio.gather(*(remove(session, pod, grace) for pod in plan.to_delete))
    except TimeoutError:
        raise _abort(node, f"error: drain did not complete within {timeout:g}s") from None
    click.echo(f"node/{node} drained")


# ---- taint ----------------------------------------------------------------------------

def parse_taint(spec: str) -> tuple[dict[str, str], bool]:
    """`key=value:Effect` -> (taint, False); `key:Effect-` or `key-` -> (taint to remove, True)."""
    remove = spec.endswith("-")
    body = spec[:-1] if remove else spec
    key_value, sep, effect = body.partition(":")
    key, _, value = key_value.partition("=")
    if not key or (not remove and not sep):
        raise CliError(f"error: invalid taint spec: {spec}")
    if effect and effect not in TAINT_EFFECTS:
        raise CliError(f"error: invalid taint effect: {effect}, unsupported taint effect")
    taint = {"key": key, **({"value": value} if value else {}), **({"effect": effect} if effect else {})}
    return taint, remove


def apply_taints(current: list[dict[str, Any]], specs: list[str], overwrite: bool, node: str) -> list[dict[str, Any]]:
    """The node's new taint list (a taint is identified by key and effect)."""
    taints = [dict(t) for t in current]
    for spec in specs:
        taint, remove = parse_taint(spec)
        same = [t for t in taints if t["key"] == taint["key"]
                and (not taint.get("effect") or t.get("effect") == taint.get("effect"))]
        if remove:
            if not same:
                raise CliError(f'error: taint "{spec[:-1]}" not found')
            taints = [t for t in taints if t not in same]
        elif same and not overwrite:
            raise CliError(f"error: Node {node} already has {taint['key']} taint(s) with same effect(s) "
                           f"and --overwrite is false")
        else:
            index = taints.index(same[0]) if same else len(taints)
            taints[index:index + bool(same)] = [taint]
    return taints


@click.command("taint")
@global_options
@click.argument("args", nargs=-1, required=True)
@click.option("--overwrite", is_flag=True, help="Replace a taint with the same key and effect.")
@command_runner
async def taint(session: Session, args: tuple[str, ...], overwrite: bool) -> None:
    """Add or remove node taints: taint nodes NAME key=value:Effect | key:Effect-"""
    first_spec = next((i for i, a in enumerate(args) if ":" in a or a.endswith("-")), len(args))
    names, specs = node_names(args[:first_spec]), list(args[first_spec:])
    if not names or not specs:
        raise CliError("error: at least one node and one taint update are required")
    client = session.resource(NODES)
    for name in names:
        node = await client.get(name)
        current = (node.get("spec") or {}).get("taints") or []
        taints = apply_taints(current, specs, overwrite, name)
        await client.patch(name, {"metadata": {"resourceVersion": node["metadata"]["resourceVersion"]},
                                  "spec": {"taints": taints or None}}, "merge")
        verb = "untainted" if len(taints) < len(current) or all(s.endswith("-") for s in specs) else "tainted"
        click.echo(f"node/{name} {verb}")
