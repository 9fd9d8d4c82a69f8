"""Exec and attach on Docker, as dockershim did: create with the SDK, then hijack the stream.

`exec_create` (SDK) makes the exec instance; `POST /exec/{id}/start` with
`Upgrade: tcp` turns the Docker API connection into the process's stdio. We
speak that one request ourselves on the Docker socket with asyncio: the SDK's
`exec_start(socket=True)` hands over the socket behind http.client's buffered
reader, which may already hold the first output bytes (lost), and blocks a
thread per stream. Attach is the same with `POST /containers/{id}/attach`.

Without a terminal Docker multiplexes stdout and stderr: each chunk has an
8-byte head (stream 1|2, three zero bytes, big-endian length). With one, the
bytes are raw. The client's end of input half-closes the socket, which
Docker passes on as EOF on the process's stdin. The exit code comes from
`exec_inspect` once the stream has ended. A client that goes away before the
command ends takes the command with it (SIGKILL to the exec's process): an
exec must not outlive the `kubectl exec` that started it.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import signal
import struct
from collections.abc import Callable
from typing import Any

import docker

from minikube_py.httpstream import remotecommand as rc

from .command_io import CommandIO, CommandOptions
from .tasks import TASK_NAME

log = logging.getLogger("agent.streaming.docker")

MAX_RESPONSE_HEAD = 64 * 1024
EXIT_CODE_POLLS = 100            # exec_inspect may say Running for a moment after the stream ended


class DockerStreamError(Exception):
    pass


def docker_socket_path() -> str:
    """The Docker API's unix socket, found as docker.from_env() finds it."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        raise DockerStreamError(f"streaming needs Docker on a unix socket, not {host}")
    return host[len("unix://"):]


async def open_docker_stream(path: str, body: dict[str, Any] | None
                             ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """POST `path` to Docker with `Upgrade: tcp` and return the raw stream after the response head."""
    reader, writer = await asyncio.open_unix_connection(docker_socket_path(), limit=MAX_RESPONSE_HEAD)
    payload = json.dumps(body).encode() if body is not None else b""
    writer.write((f"POST {path} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {len(payload)}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n").encode() + payload)
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if status not in (101, 200):
            raise DockerStreamError(f"Docker answered {status}: {(await reader.read(4096)).decode(errors='replace')}")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError) as e:
        writer.close()
        raise DockerStreamError(f"bad answer from Docker to {path}: {e}") from e
    except DockerStreamError:
        writer.close()
        raise
    return reader, writer


async def _copy_output(reader: asyncio.StreamReader, io: CommandIO, tty: bool) -> None:
    if tty:
        while chunk := await reader.read(64 * 1024):
            await io.write(rc.STDOUT, chunk)
        return
    with contextlib.suppress(asyncio.IncompleteReadError):
        while True:
            kind, size = struct.unpack(">BxxxI", await reader.readexactly(8))
            data = await reader.readexactly(size)
            await io.write(rc.STDERR if kind == 2 else rc.STDOUT, data)


async def _copy_input(writer: asyncio.StreamWriter, io: CommandIO) -> None:
    while chunk := await io.stdin.get():
        writer.write(chunk)
        await writer.drain()
    if writer.can_write_eof():
        writer.write_eof()


async def _apply_resizes(io: CommandIO, resize: Callable[[int, int], Any]) -> None:
    while True:
        width, height = await io.resize.get()
        with contextlib.suppress(docker.errors.APIError):
            await asyncio.to_thread(resize, width, height)


async def _pump(path: str, body: dict[str, Any] | None, io: CommandIO, options: CommandOptions,
                resize: Callable[[int, int], Any]) -> None:
    """Connect the client's channels to a Docker stream until the output ends or the client goes away."""
    reader, writer = await open_docker_stream(path, body)
    tasks = [asyncio.create_task(_copy_output(reader, io, options.tty), name=TASK_NAME),
             asyncio.create_task(io.gone.wait(), name=TASK_NAME)]
    helpers = [asyncio.create_task(_apply_resizes(io, resize), name=TASK_NAME)]
    if options.stdin:
        helpers.append(asyncio.create_task(_copy_input(writer, io), name=TASK_NAME))
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks + helpers:
            task.cancel()
        await asyncio.gather(*tasks, *helpers, return_exceptions=True)
        writer.close()


class DockerStreams:
    def __init__(self, client: docker.DockerClient) -> None:
        self.api = client.api

    async def exec(self, container_id: str, options: CommandOptions, io: CommandIO) -> None:
        created = await asyncio.to_thread(self.api.exec_create, container_id, options.command, stdin=options.stdin,
                                          stdout=options.stdout, stderr=options.stderr, tty=options.tty)
        exec_id, output_ended = created["Id"], False
        try:
            await _pump(f"/exec/{exec_id}/start", {"Detach": False, "Tty": options.tty}, io, options,
                        lambda w, h: self.api.exec_resize(exec_id, height=h, width=w))
            output_ended = not io.gone.is_set()
        finally:
            if not output_ended:          # the client went away, or the stream broke: end the command
                await self._kill(exec_id)
        if output_ended:
            await io.finish(rc.exit_status(options.command, await self._exit_code(exec_id)))

    async def attach(self, container_id: str, options: CommandOptions, io: CommandIO) -> None:
        flags = "&".join(f"{name}={int(getattr(options, name))}" for name in ("stdin", "stdout", "stderr"))
        # The stream is raw or multiplexed as the container was created, whatever the client asked.
        stream_format = dataclasses.replace(options, tty=await self.container_tty(container_id))
        await _pump(f"/containers/{container_id}/attach?stream=1&{flags}", None, io, stream_format,
                    lambda w, h: self.api.resize(container_id, height=h, width=w))
        if not io.gone.is_set():
            await io.finish(rc.success())

    async def container_tty(self, container_id: str) -> bool:
        details = await asyncio.to_thread(self.api.inspect_container, container_id)
        return bool((details.get("Config") or {}).get("Tty"))

    async def _exit_code(self, exec_id: str) -> int:
        for _ in range(EXIT_CODE_POLLS):
            details = await asyncio.to_thread(self.api.exec_inspect, exec_id)
            if not details.get("Running"):
                return int(details.get("ExitCode") or 0)
            await asyncio.sleep(0.02)
        raise DockerStreamError(f"exec {exec_id[:12]} still running after its stream ended")

    async def _kill(self, exec_id: str) -> None:
        """The client left before the command ended: end it (its process is a host pid)."""
        with contextlib.suppress(docker.errors.APIError, ProcessLookupError):
            details = await asyncio.to_thread(self.api.exec_inspect, exec_id)
            if details.get("Running") and details.get("Pid"):
                log.info("client of exec %s went away: killing pid %d", exec_id[:12], details["Pid"])
                os.kill(int(details["Pid"]), signal.SIGKILL)

