"""Exec, attach and port-forward from the client side, over WebSocket (client-go tools/remotecommand, portforward).

- `run_command` opens pods/exec or pods/attach with `v5.channel.k8s.io`
  (falling back to `v4.channel.k8s.io` on an older server), sends stdin on
  channel 0 and terminal sizes on channel 4, writes channels 1 and 2 out, and
  returns the exit code from the error channel's Status. At the end of stdin
  v5 sends the close signal (255, 0) so the command sees EOF; v4 cannot, as
  with client-go.
- `forward_connection` carries one local TCP connection over pods/portforward
  with the channel protocol: data on channel 0, errors on channel 1, each
  channel's first message being the port number (2 bytes, little-endian).

aiohttp does not keep the body of a refused handshake, so on one the request is
sent again without upgrade to read the API server's Status (it checks the pod
and container before it looks at the upgrade).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp

from minikube_py.api.errors import ApiError
from minikube_py.httpstream import remotecommand as rc
from minikube_py.httpstream import wsstream

from .rest import ApiClient

Sink = Callable[[bytes], Awaitable[None]]
COMMAND_PROTOCOLS = (rc.V5_CHANNEL, rc.V4_CHANNEL)
PORT_FORWARD_PROTOCOLS = (rc.V4_CHANNEL,)


async def _connect(api: ApiClient, path: str, params: list[tuple[str, str]],
                   protocols: tuple[str, ...]) -> aiohttp.ClientWebSocketResponse:
    try:
        return await api.websocket(path, params, protocols)
    except aiohttp.WSServerHandshakeError as e:
        await api.request("GET", path, params=dict(params))   # raises the server's Status
        raise ApiError(e.status, "BadRequest", f"unable to upgrade connection: {e.message}") from e


async def _send(ws: aiohttp.ClientWebSocketResponse, protocol: str, channel: int, data: bytes) -> None:
    message = wsstream.encode(protocol, channel, data)
    await (ws.send_str(message) if isinstance(message, str) else ws.send_bytes(message))


async def run_command(api: ApiClient, path: str, params: list[tuple[str, str]], *,
                      stdin: AsyncIterator[bytes] | None, stdout: Sink, stderr: Sink,
                      sizes: AsyncIterator[tuple[int, int]] | None = None) -> int:
    """Run an exec/attach session to its end; the command's exit code (0 when attach ends)."""
    ws = await _connect(api, path, params, COMMAND_PROTOCOLS)
    protocol = ws.protocol or rc.V4_CHANNEL
    feeders = []
    if stdin is not None:
        feeders.append(asyncio.create_task(_send_stdin(ws, protocol, stdin)))
    if sizes is not None:
        feeders.append(asyncio.create_task(_send_sizes(ws, protocol, sizes)))
    status: dict[str, Any] = rc.success()
    try:
        async for message in ws:
            if message.type not in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
                continue
            channel, data = wsstream.decode(protocol, message.data)
            if channel == rc.STDOUT:
                await stdout(data)
            elif channel == rc.STDERR:
                await stderr(data)
            elif channel == rc.ERROR and data:
                status = json.loads(data) if wsstream.status_on_error_channel(protocol) else rc.failure(data.decode())
    finally:
        for feeder in feeders:
            feeder.cancel()
        await asyncio.gather(*feeders, return_exceptions=True)
        await ws.close()
    code = rc.exit_code(status)
    if code is None:
        raise ApiError(500, status.get("reason") or "InternalError", status.get("message") or "stream failed")
    return code


async def _send_stdin(ws: aiohttp.ClientWebSocketResponse, protocol: str, stdin: AsyncIterator[bytes]) -> None:
    async for chunk in stdin:
        await _send(ws, protocol, rc.STDIN, chunk)
    if protocol == rc.V5_CHANNEL:
        await ws.send_bytes(bytes([rc.CLOSE, rc.STDIN]))


async def _send_sizes(ws: aiohttp.ClientWebSocketResponse, protocol: str,
                      sizes: AsyncIterator[tuple[int, int]]) -> None:
    async for width, height in sizes:
        await _send(ws, protocol, rc.RESIZE, json.dumps({"Width": width, "Height": height}).encode())


async def forward_connection(api: ApiClient, path: str, port: int, reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter, on_error: Callable[[str], None]) -> None:
    """Carry one local connection to `port` of the pod until either side ends it."""
    ws = await _connect(api, path, [("ports", str(port))], PORT_FORWARD_PROTOCOLS)
    protocol = ws.protocol or rc.V4_CHANNEL
    upstream = asyncio.create_task(_local_to_pod(ws, protocol, reader))
    seen_prefix: set[int] = set()
    try:
        async for message in ws:
            if message.type not in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
                continue
            channel, data = wsstream.decode(protocol, message.data)
            if channel not in seen_prefix:          # the port number opens each channel
                seen_prefix.add(channel)
                if data[:2] != struct.pack("<H", port):
                    raise ApiError(500, "InternalError", f"unexpected port prefix on channel {channel}")
                data = data[2:]
            if channel == 0 and data:
                writer.write(data)
                await writer.drain()
            elif channel == 1 and data:
                on_error(data.decode(errors="replace"))
                break
    finally:
        upstream.cancel()
        await asyncio.gather(upstream, return_exceptions=True)
        await ws.close()
        with contextlib.suppress(ConnectionError):
            writer.close()


async def _local_to_pod(ws: aiohttp.ClientWebSocketResponse, protocol: str, reader: asyncio.StreamReader) -> None:
    while chunk := await reader.read(64 * 1024):
        await _send(ws, protocol, 0, chunk)
