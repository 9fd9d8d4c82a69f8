"""Port-forward: TCP connections made inside the pod's network namespace (kubelet portforward).

No host port and no socat: a helper thread enters the sandbox's network
namespace, creates the socket there and returns (minikube_py/netns.py,
agent/kubelet/pod_sockets.py), and
the event loop connects it to 127.0.0.1:<port>, which is the pod's own
loopback. Two wire protocols carry the bytes:

- SPDY (`portforward.k8s.io`): per forwarded connection the client opens an
  `error` and a `data` stream with the same `port` and `requestID` headers.
  Bytes are copied both ways; the client's FIN half-closes the pod socket; the
  pod's EOF ends the forwarded connection: the data stream is FINed and the
  error stream closed (kubectl waits for it before it closes the local
  connection), carrying a message if the connection failed. kubectl >= 1.31
  sends the same SPDY session inside binary WebSocket messages
  (`SPDY/3.1+portforward.k8s.io`).
- WebSocket channels (`v4.channel.k8s.io`; the Python client): the ports come
  in the query (`ports=80,8080`), port i has data channel 2i and error channel
  2i+1, one connection per port for the life of the WebSocket, and the first
  message on each channel is the port number (2 bytes, little-endian).
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import struct
from collections.abc import Awaitable, Callable

from aiohttp import WSMsgType, web

from agent.kubelet.pod_sockets import connected_socket
from minikube_py.httpstream import spdy, wsstream

from .tasks import TASK_NAME

log = logging.getLogger("agent.streaming.portforward")

CHUNK = 256 * 1024
CONNECT_TIMEOUT = 10.0

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]
Connect = Callable[[int], Awaitable[Connection]]


def pod_connector(netns_path: str) -> Connect:
    async def connect(port: int) -> Connection:
        sock = await asyncio.wait_for(connected_socket(netns_path, "127.0.0.1", port), CONNECT_TIMEOUT)
        return await asyncio.open_connection(sock=sock, limit=CHUNK)
    return connect


def parse_ports(values: list[str]) -> list[int]:
    """The `ports` query values (each may hold several, comma-separated); ValueError when one is bad."""
    ports = [int(p) for value in values for p in value.split(",") if p.strip()]
    if not ports or any(not 0 < p < 65536 for p in ports):
        raise ValueError(f"invalid port list {values}: ports must be in 1-65535")
    return ports


async def _copy_from_pod(reader: asyncio.StreamReader, send: Callable[[bytes], Awaitable[None]]) -> None:
    while chunk := await reader.read(CHUNK):
        await send(chunk)


class SpdyPortForward:
    """One SPDY session: any number of forwarded connections, each a pair of streams."""

    def __init__(self, session: spdy.Session, connect: Connect, pod: str) -> None:
        self.session, self.connect, self.pod = session, connect, pod
        self.pairs: dict[str, dict[str, spdy.Stream]] = {}
        self.tasks: set[asyncio.Task] = set()

    async def serve(self) -> None:
        try:
            await self.session.serve(self._on_stream)
        finally:
            for task in list(self.tasks):
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _on_stream(self, stream: spdy.Stream) -> None:
        kind, request_id = stream.header("streamtype"), stream.header("requestid") or stream.header("port")
        if kind not in ("data", "error"):
            await self.session.reset(stream.id, spdy.RST_REFUSED_STREAM)
            return
        pair = self.pairs.setdefault(request_id, {})
        pair[kind] = stream
        if len(pair) == 2:
            del self.pairs[request_id]
            task = asyncio.create_task(self._forward(pair["data"], pair["error"]), name=TASK_NAME)
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _forward(self, data: spdy.Stream, error: spdy.Stream) -> None:
        try:
            try:
                port = int(data.header("port"))
                reader, writer = await self.connect(port)
            except (TimeoutError, OSError, ValueError) as e:
                await error.write(f"error forwarding port {data.header('port')} to pod {self.pod}: {e}".encode())
                return
            to_client = asyncio.create_task(self._to_client(reader, data), name=TASK_NAME)
            to_pod = asyncio.create_task(self._to_pod(data, writer), name=TASK_NAME)
            try:
                # The pod's EOF ends the forwarded connection (as containerd's port forward); the
                # client's FIN only half-closes the pod socket, its RST ends everything.
                await asyncio.wait([to_client, to_pod], return_when=asyncio.FIRST_COMPLETED)
                if to_pod.done() and not data.reset:
                    await to_client
            finally:
                for task in (to_client, to_pod):
                    task.cancel()
                await asyncio.gather(to_client, to_pod, return_exceptions=True)
                writer.close()
        except ConnectionError:
            pass
        finally:
            await data.close()
            await error.close()
            self.session.forget(data)
            self.session.forget(error)

    @staticmethod
    async def _to_pod(data: spdy.Stream, writer: asyncio.StreamWriter) -> None:
        while chunk := await data.read():
            writer.write(chunk)
            await writer.drain()
        if not data.reset and writer.can_write_eof():
            writer.write_eof()

    @staticmethod
    async def _to_client(reader: asyncio.StreamReader, data: spdy.Stream) -> None:
        with contextlib.suppress(ConnectionError):
            await _copy_from_pod(reader, data.write)
        await data.close()


class WebSocketBytes:
    """A byte stream carried in binary WebSocket messages: the SPDY-over-WebSocket tunnel."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws, self._buffer = ws, bytearray()

    async def readexactly(self, n: int) -> bytes:
        while len(self._buffer) < n:
            message = await self.ws.receive()
            if message.type != WSMsgType.BINARY:
                raise asyncio.IncompleteReadError(bytes(self._buffer), n)
            self._buffer += message.data
        chunk, self._buffer = bytes(self._buffer[:n]), self._buffer[n:]
        return chunk

    async def write(self, data: bytes) -> None:
        if self.ws.closed:
            raise ConnectionResetError("WebSocket closed")
        await self.ws.send_bytes(data)


async def websocket_port_forward(ws: web.WebSocketResponse, protocol: str, ports: list[int], connect: Connect,
                                 pod: str) -> None:
    """The channel protocol: one connection per requested port, for as long as the WebSocket lives."""
    async def send(channel: int, data: bytes) -> None:
        message = wsstream.encode(protocol, channel, data)
        await (ws.send_str(message) if isinstance(message, str) else ws.send_bytes(message))

    writers: dict[int, asyncio.StreamWriter] = {}
    copies: list[asyncio.Task] = []
    for index, port in enumerate(ports):
        prefix = struct.pack("<H", port)
        await send(2 * index, prefix)
        await send(2 * index + 1, prefix)
        try:
            reader, writers[index] = await connect(port)
        except (TimeoutError, OSError) as e:
            await send(2 * index + 1, f"error forwarding port {port} to pod {pod}: {e}".encode())
            continue
        copy = _copy_from_pod(reader, functools.partial(send, 2 * index))
        copies.append(asyncio.create_task(copy, name=TASK_NAME))
    all_copied = asyncio.create_task(asyncio.wait(copies), name=TASK_NAME) if copies else None
    reading = asyncio.create_task(_websocket_to_pods(ws, protocol, writers), name=TASK_NAME)
    try:
        await asyncio.wait([t for t in (reading, all_copied) if t], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in [reading, *copies] + ([all_copied] if all_copied else []):
            task.cancel()
        await asyncio.gather(reading, *copies, return_exceptions=True)
        for writer in writers.values():
            writer.close()
        await ws.close()


async def _websocket_to_pods(ws: web.WebSocketResponse, protocol: str,
                             writers: dict[int, asyncio.StreamWriter]) -> None:
    async for message in ws:
        if message.type not in (WSMsgType.BINARY, WSMsgType.TEXT):
            continue
        with contextlib.suppress(wsstream.ChannelError):
            channel, data = wsstream.decode(protocol, message.data)
            writer = writers.get(channel // 2)
            if channel % 2 == 0 and writer is not None and data:
                writer.write(data)
                await writer.drain()
