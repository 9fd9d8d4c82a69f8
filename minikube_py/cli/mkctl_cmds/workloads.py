"""`mkctl scale` and `mkctl logs`: kubectl's everyday workload commands.

* scale writes spec.replicas through the `scale` subresource (an autoscaling/v1
  Scale object), so it needs no knowledge of the owner's other fields; the
  controller that owns the object then does the actual work.
* logs reads pods/log; the API server proxies it to the node agent running the
  pod. With -f the stream stays open until the container stops or Ctrl-C.
"""
from __future__ import annotations

import sys
from contextlib import aclosing

import click

from minikube_py.api.resources import known
from minikube_py.cli.mkctl_cmds.errors import CliError
from minikube_py.cli.mkctl_cmds.runtime import Session, command_runner, global_options, object_ref, type_and_names

PODS = known("pods")


@click.command("scale")
@global_options
@click.argument("args", nargs=-1, required=True)
@click.option("--replicas", type=int, required=True, help="The new number of replicas.")
@click.option("--current-replicas", type=int, default=-1,
              help="Only scale if the current replica count is this (a precondition).")
@command_runner
async def scale(session: Session, args: tuple[str, ...], replicas: int, current_replicas: int) -> None:
    """Set a new size for a Deployment or ReplicaSet: scale deploy/web --replicas 3"""
    if replicas < 0:
        raise CliError("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
    for rt, name in type_and_names(args):
        if "scale" not in rt.subresources:
            raise CliError(f'error: no scaler has been implemented for "{rt.kind}"')
        client = session.resource(rt)
        if current_replicas >= 0:
            current = await client.get_subresource(name, "scale")
            if (current.get("spec") or {}).get("replicas", 0) != current_replicas:
                raise CliError(f"error: Expected replicas to be {current_replicas}, was "
                               f"{(current.get('spec') or {}).get('replicas', 0)}")
        await client.patch_subresource(name, "scale", {"spec": {"replicas": replicas}}, "merge")
        click.echo(f"{object_ref(rt, name)} scaled")


def _pod_name(arg: str) -> str:
    if "/" in arg:
        [(rt, name)] = type_and_names((arg,))
        if rt is not PODS:
            raise CliError(f"error: mkctl logs reads pods only, not {rt.plural}")
        return name
    return arg


async def _pick_container(session: Session, pod_name: str, container: str | None) -> str | None:
    """kubectl asks which container when a pod has several and none was named."""
    if container:
        return container
    pod = await session.resource(PODS).get(pod_name)
    names = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
    if len(names) > 1:
        raise CliError(f"error: a container name must be specified for pod {pod_name}, "
                       f"choose one of: [{' '.join(names)}]")
    return names[0] if names else None


@click.command("logs")
@global_options
@click.argument("pod")
@click.option("-c", "--container", help="The container (needed when the pod has several).")
@click.option("-f", "--follow", is_flag=True, help="Keep streaming new lines.")
@click.option("--tail", type=int, default=-1, help="Only the last N lines (-1: all).")
@click.option("--timestamps", is_flag=True, help="Prefix each line with its time.")
@click.option("-p", "--previous", is_flag=True, help="The previous (crashed) instance of the container.")
@command_runner
async def logs(session: Session, pod: str, container: str | None, follow: bool, tail: int,
               timestamps: bool, previous: bool) -> None:
    """Print the logs of a container in a pod."""
    name = _pod_name(pod)
    container = await _pick_container(session, name, container)
    stream = session.resource(PODS).log(name, container=container, follow=follow,
                                        tail_lines=tail if tail >= 0 else None,
                                        timestamps=timestamps, previous=previous)
    out = sys.stdout.buffer
    async with aclosing(stream) as lines:
        async for line in lines:
            out.write(line)
            out.flush()
