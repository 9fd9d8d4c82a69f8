"""A remote command's view of its client, whatever the wire protocol (kubelet remotecommand).

`CommandIO` is what the Docker side uses: a stdin queue (b"" = end of input),
a queue of terminal sizes, write(channel, data) for stdout/stderr, finish(Status)
for the error channel, and `gone` once the client has disconnected. Two
transports fill it in:

- `WebSocketCommand`: one message per write, the channel in its first byte
  (wsstream); v5's close signal on stdin ends the input.
- `SpdyCommand`: one SPDY stream per channel, named by its `streamtype` header;
  the client half-closes the stdin stream at the end of input. kubectl opens the
  error stream first, then stdin/stdout/stderr/resize as the request asked.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from minikube_py.httpstream import remotecommand as rc
from minikube_py.httpstream import spdy, wsstream
from minikube_py.httpstream.hijack import Hijacked

from .tasks import TASK_NAME

STDIN_BUFFER = 4            # chunks (<= 4 MiB WebSocket messages) queued towards the process before we stop reading
STREAM_WAIT_SECONDS = 30    # kubelet's streamCreationTimeout


def _flag(query: Mapping[str, str], name: str) -> bool:
    return query.get(name, "").lower() in ("1", "true")


@dataclass(frozen=True)
class CommandOptions:
    """PodExecOptions / PodAttachOptions as the query string carries them."""
    command: list[str]
    stdin: bool
    stdout: bool
    stderr: bool
    tty: bool

    @classmethod
    def from_request(cls, request: web.Request) -> CommandOptions:
        query = request.query
        tty = _flag(query, "tty")
        # With a terminal, stderr is merged into stdout (kubectl asks for no stderr stream then).
        return cls(query.getall("command", []), _flag(query, "stdin"), _flag(query, "stdout"),
                   _flag(query, "stderr") and not tty, tty)


class CommandIO:
    def __init__(self) -> None:
        self.stdin: asyncio.Queue[bytes] = asyncio.Queue(STDIN_BUFFER)
        self.resize: asyncio.Queue[tuple[int, int]] = asyncio.Queue(STDIN_BUFFER)
        self.gone = asyncio.Event()

    def offer_resize(self, data: bytes) -> None:
        size = rc.parse_resize(data)
        if size is not None and not self.resize.full():
            self.resize.put_nowait(size)

    def end_input(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.stdin.put_nowait(b"")

    def disconnected(self) -> None:
        self.gone.set()
        self.end_input()

    async def write(self, channel: int, data: bytes) -> None:
        raise NotImplementedError

    async def finish(self, status: dict[str, Any]) -> None:
        """Send the outcome on the error channel and end the connection."""
        raise NotImplementedError


class WebSocketCommand(CommandIO):
    def __init__(self, ws: web.WebSocketResponse, protocol: str) -> None:
        super().__init__()
        self.ws, self.protocol = ws, protocol

    async def pump(self) -> None:
        """Read the client's messages until it closes the WebSocket."""
        try:
            async for message in self.ws:
                if message.type not in (WSMsgType.BINARY, WSMsgType.TEXT):
                    continue
                try:
                    channel, data = wsstream.decode(self.protocol, message.data)
                except wsstream.ChannelError:
                    continue
                if channel == rc.STDIN and data:
                    await self.stdin.put(data)
                elif channel == rc.RESIZE:
                    self.offer_resize(data)
                elif channel == rc.CLOSE and self.protocol == rc.V5_CHANNEL and data[:1] == bytes([rc.STDIN]):
                    await self.stdin.put(b"")
        finally:
            self.disconnected()

    async def write(self, channel: int, data: bytes) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            message = wsstream.encode(self.protocol, channel, data)
            await (self.ws.send_str(message) if isinstance(message, str) else self.ws.send_bytes(message))

    async def finish(self, status: dict[str, Any]) -> None:
        if wsstream.status_on_error_channel(self.protocol):
            await self.write(rc.ERROR, json.dumps(status).encode())
        elif status.get("status") != "Success":
            await self.write(rc.ERROR, status.get("message", "").encode())
        await self.ws.close()


class SpdyCommand(CommandIO):
    """The streams of one exec/attach over SPDY (remotecommand v4)."""

    def __init__(self, connection: Hijacked, options: CommandOptions) -> None:
        super().__init__()
        self.connection = connection
        self.session = spdy.Session(connection, connection.write)
        self.streams: dict[str, spdy.Stream] = {}
        self.expected = {"error"} | {name for name, wanted in (("stdin", options.stdin), ("stdout", options.stdout),
                                                                ("stderr", options.stderr)) if wanted}
        self._ready = asyncio.Event()
        self._pumps: list[asyncio.Task] = []

    async def serve(self) -> None:
        try:
            await self.session.serve(self._on_stream)
        finally:
            self.disconnected()
            self._ready.set()

    async def wait_for_streams(self) -> bool:
        """True once the client has opened every stream the request asked for."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._ready.wait(), STREAM_WAIT_SECONDS)
        return self.expected <= self.streams.keys()

    async def _on_stream(self, stream: spdy.Stream) -> None:
        kind = stream.header("streamtype")
        if kind not in rc.STREAM_TYPES or kind in self.streams:
            await self.session.reset(stream.id, spdy.RST_REFUSED_STREAM)
            return
        self.streams[kind] = stream
        if kind == "stdin":
            self._pumps.append(asyncio.create_task(self._read_stdin(stream), name=TASK_NAME))
        elif kind == "resize":
            self._pumps.append(asyncio.create_task(self._read_resizes(stream), name=TASK_NAME))
        if self.expected <= self.streams.keys():
            self._ready.set()

    async def _read_stdin(self, stream: spdy.Stream) -> None:
        while chunk := await stream.read():
            await self.stdin.put(chunk)
        await self.stdin.put(b"")

    async def _read_resizes(self, stream: spdy.Stream) -> None:
        decoder, pending = json.JSONDecoder(), ""
        while chunk := await stream.read():
            pending = (pending + chunk.decode(errors="replace")).lstrip()
            while pending:     # kubectl writes one JSON object per size change
                try:
                    size, end = decoder.raw_decode(pending)
                except ValueError:
                    break
                self.offer_resize(json.dumps(size).encode())
                pending = pending[end:].lstrip()

    async def write(self, channel: int, data: bytes) -> None:
        name = {rc.STDOUT: "stdout", rc.STDERR: "stderr"}[channel]
        if (stream := self.streams.get(name)) is not None:
            await stream.write(data)

    async def finish(self, status: dict[str, Any]) -> None:
        for name in ("stdout", "stderr"):
            if (stream := self.streams.get(name)) is not None:
                await stream.close()
        if (error := self.streams.get("error")) is not None:
            await error.write(json.dumps(status).encode())
            await error.close()
        await self.close()

    async def close(self) -> None:
        for task in self._pumps:
            task.cancel()
        await self.session.go_away()
        self.connection.close()
