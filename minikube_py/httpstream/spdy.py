"""SPDY/3.1 sessions, the framing under kubectl's SPDY streams (moby/spdystream, draft-mbelshe-spdy-3.1).

After `Upgrade: SPDY/3.1` the connection carries frames, each with an 8-byte head:

    control frame: 1 | version (15 bits, 3) | type (16) | flags (8) | length (24) | payload
    data frame:    0 | stream id (31 bits)              | flags (8) | length (24) | payload

Control frames used here: SYN_STREAM opens a stream (stream id, associated
id, priority, then a header block), SYN_REPLY accepts it, RST_STREAM aborts
it, PING is echoed, GOAWAY ends the session; SETTINGS, HEADERS and
WINDOW_UPDATE are read and ignored, as spdystream does: it implements no flow
control, so neither do we. FLAG_FIN on a SYN or DATA frame half-closes the
stream in the sender's direction.

Header blocks are `count, (len, name, len, value)*` with 32-bit big-endian
lengths, several values of one name joined by NUL, compressed by one zlib
stream per direction for the whole session, primed with SPDY/3's dictionary.

The client (kubectl) opens every stream; the server replies to each SYN_STREAM
at once, because kubectl waits for the reply before it opens the next one.
There is no SPDY library on PyPI that is kept up (spdy-py 0.2.0 reads frames
only, python-spdylay wraps a C library last released in 2012), hence this module.
"""
from __future__ import annotations

import asyncio
import logging
import struct
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger("httpstream.spdy")

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 0x01
RST_PROTOCOL_ERROR, RST_INVALID_STREAM, RST_REFUSED_STREAM, RST_CANCEL = 1, 2, 3, 5
GOAWAY_OK, GOAWAY_PROTOCOL_ERROR = 0, 1

MAX_FRAME_PAYLOAD = 1 << 20       # kubectl sends 32 KiB data frames; anything near 16 MiB is an attack
MAX_HEADER_BLOCK = 64 * 1024      # decompressed header block bound
MAX_DATA_CHUNK = 256 * 1024       # what we put in one DATA frame (kubectl reads frames up to 16 MiB)
STREAM_BUFFER = 256 * 1024        # bytes queued per stream before the session stops reading
MAX_STREAMS = 1024                # open streams per session (kubectl uses 2 per forwarded connection)

# SPDY/3 header compression dictionary (draft 3, section 2.6.10.1): length-prefixed header names
# and common values, then a run of status codes, dates and media types.
_DICTIONARY_WORDS = (
    *("options head post put delete trace accept accept-charset accept-encoding accept-language "
      "accept-ranges age allow authorization cache-control connection content-base content-encoding "
      "content-language content-length content-location content-md5 content-range content-type date "
      "etag expect expires from host if-match if-modified-since if-none-match if-range "
      "if-unmodified-since last-modified location max-forwards pragma proxy-authenticate "
      "proxy-authorization range referer retry-after server te trailer transfer-encoding upgrade "
      "user-agent vary via warning www-authenticate method get status").split(),
    "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive", "origin")
_DICTIONARY_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request"
    "401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented"
    "503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 "
    "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,"
    "application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age="
    "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.")
DICTIONARY = b"".join(struct.pack(">I", len(w)) + w.encode() for w in _DICTIONARY_WORDS) + _DICTIONARY_TAIL.encode()

Headers = dict[str, list[str]]


class ProtocolError(Exception):
    """The peer broke the framing; the session ends with GOAWAY(PROTOCOL_ERROR)."""


class ByteReader(Protocol):
    async def readexactly(self, n: int) -> bytes: ...


Write = Callable[[bytes], Awaitable[None]]


# ---- frames ------------------------------------------------------------------------------------

def control_frame(kind: int, flags: int, payload: bytes) -> bytes:
    return struct.pack(">HHI", 0x8000 | VERSION, kind, (flags << 24) | len(payload)) + payload


def data_frame(stream_id: int, flags: int, data: bytes) -> bytes:
    return struct.pack(">II", stream_id & 0x7FFFFFFF, (flags << 24) | len(data)) + data


@dataclass
class Frame:
    control: bool
    kind: int          # control frame type; 0 for data frames
    flags: int
    stream_id: int     # data frames; for control frames parsed from the payload where it has one
    payload: bytes


async def read_frame(reader: ByteReader) -> Frame:
    head = await reader.readexactly(8)
    first, flags_length = struct.unpack(">II", head)
    flags, length = flags_length >> 24, flags_length & 0xFFFFFF
    if length > MAX_FRAME_PAYLOAD:
        raise ProtocolError(f"frame of {length} bytes exceeds {MAX_FRAME_PAYLOAD}")
    payload = await reader.readexactly(length) if length else b""
    if first & 0x80000000:
        version, kind = (first >> 16) & 0x7FFF, first & 0xFFFF
        if version != VERSION:
            raise ProtocolError(f"SPDY version {version} is not 3")
        stream_id = struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF if len(payload) >= 4 else 0
        return Frame(True, kind, flags, stream_id, payload)
    return Frame(False, 0, flags, first & 0x7FFFFFFF, payload)


# ---- header blocks -------------------------------------------------------------------------------

class HeaderCodec:
    """One zlib stream each way, shared by every header block of the session."""

    def __init__(self) -> None:
        self._deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, 15, 8,
                                         zlib.Z_DEFAULT_STRATEGY, DICTIONARY)
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)

    def encode(self, headers: Headers) -> bytes:
        raw = [struct.pack(">I", len(headers))]
        for name, values in headers.items():
            key, value = name.lower().encode(), "\x00".join(values).encode()
            raw += [struct.pack(">I", len(key)), key, struct.pack(">I", len(value)), value]
        return self._deflate.compress(b"".join(raw)) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    def decode(self, block: bytes) -> Headers:
        try:
            raw = self._inflate.decompress(block, MAX_HEADER_BLOCK)
        except zlib.error as e:
            raise ProtocolError(f"bad header block: {e}") from e
        if self._inflate.unconsumed_tail:
            raise ProtocolError(f"header block larger than {MAX_HEADER_BLOCK} bytes")
        try:
            (count,), offset = struct.unpack_from(">I", raw), 4
            headers: Headers = {}
            for _ in range(count):
                (size,) = struct.unpack_from(">I", raw, offset)
                name, offset = raw[offset + 4:offset + 4 + size].decode(), offset + 4 + size
                (size,) = struct.unpack_from(">I", raw, offset)
                value, offset = raw[offset + 4:offset + 4 + size].decode(), offset + 4 + size
                headers.setdefault(name.lower(), []).extend(value.split("\x00"))
        except (struct.error, UnicodeDecodeError) as e:
            raise ProtocolError(f"bad header block: {e}") from e
        return headers


# ---- streams and the session ----------------------------------------------------------------------

@dataclass(eq=False)
class Stream:
    """One SPDY stream: bytes in (until the peer's FIN or RST) and bytes out (until our FIN)."""
    session: Session
    id: int
    headers: Headers
    _incoming: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)    # b"" marks the end
    _room: asyncio.Event = field(default_factory=asyncio.Event)
    _buffered: int = 0            # bytes queued and not read yet
    _ended: bool = False          # the end marker is queued
    _discarding: bool = False     # nobody reads any more: drop what arrives
    local_closed: bool = False
    reset: bool = False

    def header(self, name: str) -> str:
        return (self.headers.get(name.lower()) or [""])[0]

    async def read(self) -> bytes:
        """The next chunk the peer sent; b"" once it has half-closed or reset the stream."""
        chunk = await self._incoming.get()
        self._buffered -= len(chunk)
        self._room.set()
        if not chunk:
            self._incoming.put_nowait(b"")     # every later read sees the end too
        return chunk

    async def write(self, data: bytes) -> None:
        if self.local_closed or self.reset:
            return
        for start in range(0, len(data), MAX_DATA_CHUNK):
            await self.session.send(data_frame(self.id, 0, data[start:start + MAX_DATA_CHUNK]))

    async def close(self) -> None:
        """Half-close our direction (DATA with FLAG_FIN)."""
        if not (self.local_closed or self.reset):
            self.local_closed = True
            await self.session.send(data_frame(self.id, FLAG_FIN, b""))

    def discard(self) -> None:
        """The handler is done with this stream: drop whatever else the peer sends on it."""
        self._discarding = True
        self._room.set()

    async def _deliver(self, chunk: bytes) -> None:
        # Backpressure: the session stops reading frames while this stream's reader lags behind.
        while self._buffered >= STREAM_BUFFER and not (self._discarding or self._ended):
            self._room.clear()
            await self._room.wait()
        if not (self._discarding or self._ended):
            self._buffered += len(chunk)
            self._incoming.put_nowait(chunk)

    def _end_input(self) -> None:
        """The peer will send nothing more (FIN, RST or the session ended): wake the reader."""
        if not self._ended:
            self._ended = True
            self._incoming.put_nowait(b"")
            self._room.set()


class Session:
    """The server side of a SPDY session: streams arrive from the client and are handed to `on_stream`."""

    def __init__(self, reader: ByteReader, write: Write) -> None:
        self._reader, self._write = reader, write
        self._codec = HeaderCodec()
        self._lock = asyncio.Lock()
        self.streams: dict[int, Stream] = {}
        self.closed = asyncio.Event()
        self._last_stream = 0

    async def send(self, frame: bytes) -> None:
        if self.closed.is_set():
            return
        async with self._lock:
            await self._write(frame)

    async def _send_control(self, kind: int, flags: int, payload_of: Callable[[], bytes]) -> None:
        # Header blocks are compressed in the order they are sent: build the payload under the lock.
        if self.closed.is_set():
            return
        async with self._lock:
            await self._write(control_frame(kind, flags, payload_of()))

    async def reply(self, stream: Stream, headers: Headers | None = None) -> None:
        await self._send_control(SYN_REPLY, 0, lambda: struct.pack(">I", stream.id)
                                 + self._codec.encode(headers or {}))

    async def reset(self, stream_id: int, status: int = RST_CANCEL) -> None:
        await self.send(control_frame(RST_STREAM, 0, struct.pack(">II", stream_id, status)))

    async def go_away(self, status: int = GOAWAY_OK) -> None:
        await self.send(control_frame(GOAWAY, 0, struct.pack(">II", self._last_stream, status)))

    async def serve(self, on_stream: Callable[[Stream], Awaitable[None]]) -> None:
        """Read frames until the peer goes away or the connection ends; every stream ends with it."""
        try:
            while True:
                frame = await read_frame(self._reader)
                if frame.control:
                    if await self._control(frame, on_stream):
                        return
                elif (stream := self.streams.get(frame.stream_id)) is not None:
                    if frame.payload:
                        await stream._deliver(frame.payload)
                    if frame.flags & FLAG_FIN:
                        stream._end_input()
        except ProtocolError as e:
            log.info("SPDY protocol error from the client: %s", e)
            await self.go_away(GOAWAY_PROTOCOL_ERROR)
        except (asyncio.IncompleteReadError, ConnectionError) as e:
            log.debug("SPDY session ended: %r", e)           # the client went away
        finally:
            self.closed.set()
            for stream in self.streams.values():
                stream._end_input()

    async def _control(self, frame: Frame, on_stream: Callable[[Stream], Awaitable[None]]) -> bool:
        """Handle one control frame; True when the session is over."""
        if frame.kind == SYN_STREAM:
            if len(frame.payload) < 10:
                raise ProtocolError("short SYN_STREAM")
            stream = Stream(self, frame.stream_id, self._codec.decode(frame.payload[10:]))
            if frame.stream_id in self.streams or frame.stream_id % 2 == 0:
                await self.reset(frame.stream_id, RST_PROTOCOL_ERROR)
                return False
            if len(self.streams) >= MAX_STREAMS:
                await self.reset(frame.stream_id, RST_REFUSED_STREAM)
                return False
            self.streams[stream.id] = stream
            self._last_stream = stream.id
            if frame.flags & FLAG_FIN:
                stream._end_input()
            await self.reply(stream)
            await on_stream(stream)
        elif frame.kind == RST_STREAM:
            if (reset := self.streams.get(frame.stream_id)) is not None:
                reset.reset = True
                reset._end_input()
        elif frame.kind == PING:
            await self.send(control_frame(PING, 0, frame.payload[:4]))
        elif frame.kind == GOAWAY:
            return True
        elif frame.kind == HEADERS:
            self._codec.decode(frame.payload[4:])     # keeps the shared zlib stream in step
        return False

    def forget(self, stream: Stream) -> None:
        stream.discard()
        self.streams.pop(stream.id, None)
