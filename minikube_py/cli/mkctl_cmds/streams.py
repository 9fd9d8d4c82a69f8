"""`mkctl exec`, `attach`, `cp` and `port-forward`: kubectl's streaming commands, over WebSocket.

* exec runs a command in a container (pods/exec); its exit code becomes
  mkctl's, after kubectl's "command terminated with exit code N".
* attach connects to the main process of a running container (pods/attach).
* cp is tar through exec, as kubectl does it: `tar cf -` in the pod read
  locally for a download, a local tar stream into `tar xmf -` for an upload
  (the container needs a tar binary).
* port-forward listens on 127.0.0.1 and carries each accepted connection over
  its own pods/portforward WebSocket.

`svc/NAME`, `deploy/NAME` (any TYPE/NAME with a selector) are resolved here to
one running pod of their selector, and a Service port to its targetPort, as
kubectl does on the client side.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shutil
import sys
import tarfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import PurePosixPath
from typing import Any

import click

from minikube_py.api.errors import ApiError
from minikube_py.api.resources import known, lookup
from minikube_py.api.selectors import label_selector_from_dict
from minikube_py.cli.mkctl_cmds.errors import CliError
from minikube_py.cli.mkctl_cmds.runtime import Session, command_runner, global_options, warn
from minikube_py.cli.mkctl_cmds.terminal import is_terminal, raw_terminal, stdin_chunks, terminal_sizes
from minikube_py.client.stream import forward_connection, run_command

PODS, SERVICES = known("pods"), known("services")
DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"


async def _write_in_thread(stream: Any, data: bytes) -> None:
    """A write that may block (a pipe to the tar reader) without blocking the event loop."""
    await asyncio.to_thread(stream.write, data)


async def _write_to(stream: Any, data: bytes) -> None:
    stream.write(data)
    stream.flush()


async def _container(session: Session, pod: str, container: str | None) -> str:
    """-c, else the default-container annotation, else the first container (saying so when there are several)."""
    if container:
        return container
    spec_pod = await session.resource(PODS).get(pod)
    names = [c.get("name") for c in (spec_pod.get("spec") or {}).get("containers") or []]
    chosen = ((spec_pod["metadata"].get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION)
              or (names[0] if names else ""))
    if len(names) > 1 and chosen == names[0]:
        warn(f'Defaulted container "{chosen}" out of: {", ".join(names)}')
    return chosen


async def _session_command(session: Session, verb: str, pod: str, container: str | None, params: list[tuple[str, str]],
                           stdin: bool, tty: bool, stdin_source: AsyncIterator[bytes] | None = None,
                           stdout: Callable[[bytes], Awaitable[None]] | None = None) -> int:
    path = f"/api/v1/namespaces/{session.namespace}/pods/{pod}/{verb}"
    fd = sys.stdin.fileno()
    tty = tty and stdin and is_terminal(fd)
    params = [*params, ("container", await _container(session, pod, container)), ("stdout", "true"),
              ("stderr", "false" if tty else "true"), ("stdin", "true" if stdin else "false"),
              ("tty", "true" if tty else "false")]
    out = stdout or (lambda data: _write_to(sys.stdout.buffer, data))
    err = lambda data: _write_to(sys.stderr.buffer, data)            # noqa: E731
    source = stdin_source if stdin_source is not None else (stdin_chunks(fd) if stdin else None)
    with raw_terminal(fd) if tty else contextlib.nullcontext():
        return await run_command(session.api, path, params, stdin=source, stdout=out, stderr=err,
                                 sizes=terminal_sizes() if tty else None)


def _exit_with(code: int) -> None:
    if code:
        raise CliError(f"command terminated with exit code {code}", code)


@click.command("exec", context_settings={"ignore_unknown_options": True})
@global_options
@click.argument("pod")
@click.argument("command", nargs=-1, required=True)
@click.option("-c", "--container", help="The container (default: the pod's default or only container).")
@click.option("-i", "--stdin", is_flag=True, help="Pass stdin to the container.")
@click.option("-t", "--tty", is_flag=True, help="Stdin is a TTY.")
@command_runner
async def exec_(session: Session, pod: str, command: tuple[str, ...], container: str | None, stdin: bool,
                tty: bool) -> None:
    """Run a command in a container: exec POD|TYPE/NAME [-c CONTAINER] [-it] -- COMMAND [args...]"""
    name, _ = await _target_pod(session, pod)
    _exit_with(await _session_command(session, "exec", name, container,
                                      [("command", part) for part in command], stdin, tty))


@click.command("attach")
@global_options
@click.argument("pod")
@click.option("-c", "--container", help="The container (default: the pod's default or only container).")
@click.option("-i", "--stdin", is_flag=True, help="Pass stdin to the container.")
@click.option("-t", "--tty", is_flag=True, help="Stdin is a TTY.")
@command_runner
async def attach(session: Session, pod: str, container: str | None, stdin: bool, tty: bool) -> None:
    """Attach to the main process of a running container (POD or TYPE/NAME)."""
    name, _ = await _target_pod(session, pod)
    _exit_with(await _session_command(session, "attach", name, container, [], stdin, tty))


# ---- cp ----------------------------------------------------------------------------------------

def _split_remote(spec: str) -> tuple[str, str] | None:
    """`pod:path` -> (pod, path); None for a local path (kubectl's rule: a colon before any slash)."""
    head, sep, tail = spec.partition(":")
    return (head, tail) if sep and "/" not in head and head else None


async def _piped(produce: Callable[[Any], None]) -> AsyncIterator[bytes]:
    """Chunks of what `produce(file)` writes, produced in a thread (tarfile is blocking)."""
    read_fd, write_fd = os.pipe()

    def run() -> None:
        with os.fdopen(write_fd, "wb") as sink:
            produce(sink)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    async for chunk in stdin_chunks(read_fd):
        yield chunk
    os.close(read_fd)


@click.command("cp")
@global_options
@click.argument("source")
@click.argument("destination")
@click.option("-c", "--container", help="The container (default: the pod's default or only container).")
@command_runner
async def cp(session: Session, source: str, destination: str, container: str | None) -> None:
    """Copy files to and from containers: cp FILE POD:PATH, cp POD:PATH FILE (tar in the container)."""
    remote_source, remote_destination = _split_remote(source), _split_remote(destination)
    if bool(remote_source) == bool(remote_destination):
        raise CliError("error: one of src or dest must be a local file specification, the other a remote one")
    if remote_destination is not None:
        pod, path = remote_destination
        target = PurePosixPath(path)

        def pack(sink: Any) -> None:
            with tarfile.open(fileobj=sink, mode="w|") as archive:
                archive.add(source, arcname=target.name)
        command = ["tar", "xmf", "-", "-C", str(target.parent)]
        code = await _session_command(session, "exec", pod, container, [("command", c) for c in command],
                                      stdin=True, tty=False, stdin_source=_piped(pack))
    else:
        assert remote_source is not None      # exactly one side is remote (checked above)
        pod, path = remote_source
        code = await _download(session, pod, container, path, destination)
    _exit_with(code)


async def _download(session: Session, pod: str, container: str | None, path: str, destination: str) -> int:
    read_fd, write_fd = os.pipe()
    sink = os.fdopen(write_fd, "wb")
    member = PurePosixPath(path)

    def unpack() -> None:
        """The archive's top entry becomes `destination`; what is below it goes below it."""
        with os.fdopen(read_fd, "rb") as stream, tarfile.open(fileobj=stream, mode="r|") as archive:
            for entry in archive:
                relative = PurePosixPath(entry.name).relative_to(member.name)
                if ".." in relative.parts:
                    continue                        # never write outside the destination
                local = os.path.join(destination, *relative.parts)
                if entry.isdir():
                    os.makedirs(local, exist_ok=True)
                elif entry.isfile():
                    with archive.extractfile(entry) as data, open(local, "wb") as out:  # type: ignore[union-attr]
                        shutil.copyfileobj(data, out)
    thread = threading.Thread(target=unpack, daemon=True)
    thread.start()
    command = ["tar", "cf", "-", "-C", str(member.parent), member.name]
    try:
        code = await _session_command(session, "exec", pod, container, [("command", c) for c in command],
                                      stdin=False, tty=False, stdout=functools.partial(_write_in_thread, sink))
    finally:
        sink.close()
        await asyncio.to_thread(thread.join)
    return code


# ---- port-forward --------------------------------------------------------------------------------

async def _target_pod(session: Session, target: str) -> tuple[str, dict[str, Any] | None]:
    """The pod behind `target` (POD, pod/POD, svc/NAME, deploy/NAME, ...) and the Service when it was one."""
    kind, _, name = target.rpartition("/")
    if kind in ("", "pod", "pods", "po"):
        return name, None
    pod, owner = await _selected_pod(session, kind, name)
    return pod["metadata"]["name"], owner


async def _selected_pod(session: Session, kind: str, name: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A running pod of the selector of `kind/name`, and the object when it is a Service."""
    rt = lookup(kind)
    if rt is None:
        raise CliError(f'error: the server doesn\'t have a resource type "{kind}"')
    owner = await session.resource(rt).get(name)
    spec = owner.get("spec") or {}
    # A Service selects with a plain map; workloads with a LabelSelector.
    selector = {"matchLabels": spec.get("selector") or {}} if rt is SERVICES else spec.get("selector")
    pods = await session.resource(PODS).list(label_selector=str(label_selector_from_dict(selector)))
    running = [p for p in pods.get("items") or [] if (p.get("status") or {}).get("phase") == "Running"]
    if not running:
        raise CliError(f"error: no running pod matches {rt.singular}/{name}")
    return running[0], owner if rt is SERVICES else None


def _service_target_ports(service: dict[str, Any] | None, ports: list[tuple[int, int]],
                          container_ports: dict[str, int] | None = None) -> list[tuple[int, int]]:
    """A Service port becomes its targetPort (a named one the pod's port of that name), as kubectl
    translates it on the client side."""
    if service is None:
        return ports
    by_port = {p.get("port"): p.get("targetPort", p.get("port")) for p in service["spec"].get("ports") or []}
    translated = []
    for local, remote in ports:
        target = by_port.get(remote, remote)
        if isinstance(target, str) and not target.isdigit():
            if target not in (container_ports or {}):
                raise CliError(f"error: Pod does not have a named port '{target}'")
            target = (container_ports or {})[target]
        translated.append((local, int(target)))
    return translated


def _named_ports(pod: dict[str, Any]) -> dict[str, int]:
    return {port["name"]: port["containerPort"] for container in (pod.get("spec") or {}).get("containers") or []
            for port in container.get("ports") or [] if port.get("name") and port.get("containerPort")}


def _parse_mapping(mapping: str) -> tuple[int, int]:
    local, _, remote = mapping.partition(":")
    try:
        local_port, remote_port = int(local or remote), int(remote or local)
    except ValueError:
        raise CliError(f"error: Error parsing port mapping {mapping!r}: ports must be numbers") from None
    if not (0 <= local_port < 65536 and 0 < remote_port < 65536):
        raise CliError(f"error: Error parsing port mapping {mapping!r}: ports must be in 1-65535")
    return local_port, remote_port


@click.command("port-forward")
@global_options
@click.argument("target")
@click.argument("mappings", nargs=-1, required=True)
@click.option("--address", default="127.0.0.1", show_default=True, help="The local address to listen on.")
@command_runner
async def port_forward(session: Session, target: str, mappings: tuple[str, ...], address: str) -> None:
    """Forward local ports to a pod: port-forward pod/web 8080:80 (or svc/NAME, deploy/NAME)."""
    pod, service = await _target_pod(session, target)
    named = _named_ports(await session.resource(PODS).get(pod)) if service else {}
    ports = _service_target_ports(service, [_parse_mapping(m) for m in mappings], named)
    path = f"/api/v1/namespaces/{session.namespace}/pods/{pod}/portforward"
    servers = []
    for local, remote in ports:
        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, remote: int = remote,
                         local: int = local) -> None:
            click.echo(f"Handling connection for {local}")
            try:
                await forward_connection(session.api, path, remote, reader, writer, warn)
            except ApiError as e:
                warn(f"error: {e.message}")
                writer.close()
        server = await asyncio.start_server(accept, address, local)
        bound = server.sockets[0].getsockname()[1]
        click.echo(f"Forwarding from {address}:{bound} -> {remote}")
        servers.append(server)
    sys.stdout.flush()
    await asyncio.gather(*(server.serve_forever() for server in servers))
