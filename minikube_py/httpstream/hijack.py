"""Taking over an aiohttp server connection after `101 Switching Protocols` (Go's http.Hijacker).

aiohttp switches protocols itself only for WebSocket. For SPDY, and for the API
server's byte-for-byte proxy of any upgrade, the handler answers 101 and then
owns the raw connection: every byte the client sends afterwards goes into an
aiohttp StreamReader (which pauses the socket when it fills up, so a fast
client cannot make us buffer without bound), and writes go straight to the
transport, without chunked encoding, as aiohttp's own WebSocketResponse does.
The client sends nothing before it has read our 101, so no byte is lost to
aiohttp's HTTP parser.
"""
from __future__ import annotations

import asyncio
from typing import Mapping

import aiohttp
from aiohttp import web

READ_LIMIT = 256 * 1024


class _SwitchingProtocols(web.StreamResponse):
    _length_check = False       # raw bytes follow the head: no Content-Length, no chunking


class _Feed:
    """What aiohttp's protocol calls for every later byte ("payload parser"): into our reader."""

    def __init__(self, reader: aiohttp.StreamReader) -> None:
        self.reader = reader

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self.reader.feed_data(data)
        return False, b""

    def feed_eof(self) -> None:
        self.reader.feed_eof()


class Hijacked:
    """Both directions of an upgraded connection."""

    def __init__(self, request: web.Request, response: web.StreamResponse, reader: aiohttp.StreamReader) -> None:
        self.request, self.response, self.reader = request, response, reader

    async def readexactly(self, n: int) -> bytes:
        return await self.reader.readexactly(n)

    async def read(self) -> bytes:
        """Whatever has arrived (b"" at the end)."""
        return await self.reader.readany()

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
    reader = aiohttp.StreamReader(request.protocol, READ_LIMIT, loop=asyncio.get_running_loop())
    request.protocol.set_parser(_Feed(reader))
    await response.prepare(request)
    return Hijacked(request, response, reader)
