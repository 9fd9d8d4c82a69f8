"""Taking over an aiohttp server connection after `101 Switching Protocols` (Go's http.Hijacker).

aiohttp switches protocols itself only for WebSocket. For SPDY, and for the API
server's byte-for-byte proxy of any upgrade, the handler answers 101 and then
owns the raw connection: every byte the client sends afterwards goes into a
buffer that pauses the socket when it fills up (so a fast client cannot make
us buffer without bound), and writes go straight to the
transport, without chunked encoding, as aiohttp's own WebSocketResponse does.
The client sends nothing before it has read our 101, so no byte is lost to
aiohttp's HTTP parser.
"""
from __future__ import annotations

import asyncio
from collections.abc import Mapping

from aiohttp import web

READ_LIMIT = 256 * 1024


class _SwitchingProtocols(web.StreamResponse):
    _length_check = False       # raw bytes follow the head: no Content-Length, no chunking


class _Incoming:
    """The bytes the client sends after the 101, with flow control on the transport itself.

    aiohttp's protocol calls feed_data/feed_eof for each received chunk (it takes
    us for a "payload parser"). Above READ_LIMIT buffered bytes the socket is
    paused until the reader catches up. (aiohttp's own StreamReader would pause
    the HTTP parser, which aiohttp only allows for the upgrades it knows.)
    """

    def __init__(self, request: web.Request) -> None:
        self._transport = request.transport
        self._buffer = bytearray()
        self._eof = False
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self._buffer += data
        if len(self._buffer) > READ_LIMIT and not self._paused and self._transport is not None:
            self._paused = True
            self._transport.pause_reading()
        self._wake()
        return False, b""

    def feed_eof(self) -> None:
        self._eof = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def _wait(self) -> None:
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def _take(self, n: int) -> bytes:
        chunk = bytes(self._buffer[:n])
        del self._buffer[:n]
        if self._paused and len(self._buffer) <= READ_LIMIT // 2 and self._transport is not None:
            self._paused = False
            self._transport.resume_reading()
        return chunk

    async def read(self) -> bytes:
        while not self._buffer and not self._eof:
            await self._wait()
        return self._take(len(self._buffer))

    async def readexactly(self, n: int) -> bytes:
        while len(self._buffer) < n:
            if self._eof:
                raise asyncio.IncompleteReadError(bytes(self._buffer), n)
            await self._wait()
        return self._take(n)


class Hijacked:
    """Both directions of an upgraded connection."""

    def __init__(self, request: web.Request, response: web.StreamResponse, incoming: _Incoming) -> None:
        self.request, self.response, self._incoming = request, response, incoming

    async def readexactly(self, n: int) -> bytes:
        return await self._incoming.readexactly(n)

    async def read(self) -> bytes:
        """Whatever has arrived (b"" at the end)."""
        return await self._incoming.read()

    async def write(self, data: bytes) -> None:
        await self.response.write(data)

    def close(self) -> None:
        transport = self.request.transport
        if transport is not None:
            transport.close()


async def hijack(request: web.Request, headers: Mapping[str, str]) -> Hijacked:
    """Answer 101 with `headers` and return the raw connection."""
    response = _SwitchingProtocols(status=101, headers=headers)
    response.force_close()
    incoming = _Incoming(request)
    request.protocol.set_parser(incoming)    # type: ignore[arg-type]  # aiohttp types it as its WebSocketReader
    await response.prepare(request)
    return Hijacked(request, response, incoming)
