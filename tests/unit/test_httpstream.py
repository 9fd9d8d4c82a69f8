"""SPDY framing and sessions, WebSocket channel encoding, the exit-code Status: the wire facts of
minikube_py/httpstream, checked against a scripted peer (the real clients are in tests/integration)."""
from __future__ import annotations

import asyncio
import json
import struct
import zlib

import pytest

from minikube_py.httpstream import remotecommand as rc
from minikube_py.httpstream import spdy, wsstream


class Pipe:
    """The client's frames as a byte reader; what the session writes, collected."""

    def __init__(self, data: bytes = b"") -> None:
        self.reader = asyncio.StreamReader()
        self.reader.feed_data(data)
        self.written = bytearray()

    async def readexactly(self, n: int) -> bytes:
        return await self.reader.readexactly(n)

    async def write(self, data: bytes) -> None:
        self.written += data


def syn_stream(codec: spdy.HeaderCodec, stream_id: int, headers: dict[str, list[str]], flags: int = 0) -> bytes:
    return spdy.control_frame(spdy.SYN_STREAM, flags, struct.pack(">IIH", stream_id, 0, 0) + codec.encode(headers))


async def frames_of(data: bytes) -> list[spdy.Frame]:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    frames = []
    while True:
        try:
            frames.append(await spdy.read_frame(reader))
        except asyncio.IncompleteReadError:
            return frames


def test_dictionary_is_spdy3s():
    # 1423 bytes; zlib names a dictionary by its Adler-32 in the stream header, so a wrong one fails with kubectl
    assert len(spdy.DICTIONARY) == 1423
    assert spdy.DICTIONARY.startswith(b"\x00\x00\x00\x07options\x00\x00\x00\x04head")
    assert spdy.DICTIONARY.endswith(b",enq=0.")


def test_header_blocks_share_one_zlib_stream_per_direction():
    client, server = spdy.HeaderCodec(), spdy.HeaderCodec()
    first = client.encode({"streamType": ["error"], "port": ["80"]})
    second = client.encode({"streamType": ["data"], "port": ["80"]})
    assert server.decode(first) == {"streamtype": ["error"], "port": ["80"]}
    assert server.decode(second) == {"streamtype": ["data"], "port": ["80"]}
    with pytest.raises(spdy.ProtocolError):
        spdy.HeaderCodec().decode(second)        # the second block alone lacks the stream's history


async def test_session_replies_delivers_and_ends_streams():
    codec = spdy.HeaderCodec()
    frames = (syn_stream(codec, 1, {"streamtype": ["stdin"]}) + spdy.data_frame(1, 0, b"hello ")
              + spdy.data_frame(1, spdy.FLAG_FIN, b"world") + spdy.control_frame(spdy.PING, 0, struct.pack(">I", 7)))
    pipe = Pipe(frames)
    pipe.reader.feed_eof()
    session = spdy.Session(pipe, pipe.write)
    received: list[bytes] = []

    async def on_stream(stream: spdy.Stream) -> None:
        assert stream.header("streamType") == "stdin"
        received.append(stream)
    await session.serve(on_stream)
    stream = received[0]
    chunks = [await stream.read(), await stream.read(), await stream.read(), await stream.read()]
    assert chunks == [b"hello ", b"world", b"", b""]
    kinds = [(f.kind, f.stream_id) for f in await frames_of(bytes(pipe.written))]
    assert kinds == [(spdy.SYN_REPLY, 1), (spdy.PING, 7)]
    assert session.closed.is_set()


async def test_oversized_frame_is_a_protocol_error_not_a_buffer():
    pipe = Pipe(struct.pack(">II", 1, spdy.MAX_FRAME_PAYLOAD + 1))
    session = spdy.Session(pipe, pipe.write)
    await session.serve(lambda stream: asyncio.sleep(0))
    [goaway] = await frames_of(bytes(pipe.written))
    assert goaway.kind == spdy.GOAWAY and struct.unpack(">II", goaway.payload)[1] == spdy.GOAWAY_PROTOCOL_ERROR


async def test_garbage_header_block_ends_the_session_cleanly():
    bad = spdy.control_frame(spdy.SYN_STREAM, 0, struct.pack(">IIH", 1, 0, 0) + b"not zlib at all")
    pipe = Pipe(bad)
    await spdy.Session(pipe, pipe.write).serve(lambda stream: asyncio.sleep(0))
    assert (await frames_of(bytes(pipe.written)))[0].kind == spdy.GOAWAY


def test_zip_bomb_header_block_is_refused():
    deflate = zlib.compressobj(zdict=spdy.DICTIONARY)
    block = deflate.compress(struct.pack(">I", 1) + b"\x00" * (spdy.MAX_HEADER_BLOCK * 4)) + deflate.flush(
        zlib.Z_SYNC_FLUSH)
    with pytest.raises(spdy.ProtocolError):
        spdy.HeaderCodec().decode(block)


def test_channel_messages():
    assert wsstream.encode(rc.V5_CHANNEL, rc.STDOUT, b"hi") == b"\x01hi"
    assert wsstream.decode(rc.V4_CHANNEL, "\x00typed") == (rc.STDIN, b"typed")     # the Python client's text frames
    assert wsstream.encode(rc.BASE64_CHANNEL, rc.STDERR, b"hi") == "2aGk="
    assert wsstream.decode(rc.V4_BASE64_CHANNEL, "0aGk=") == (0, b"hi")
    with pytest.raises(wsstream.ChannelError):
        wsstream.decode(rc.BASE64_CHANNEL, "x!!")
    with pytest.raises(wsstream.ChannelError):
        wsstream.decode(rc.V4_CHANNEL, b"")


def test_exit_code_status_round_trip():
    status = rc.exit_status(["sh", "-c", "exit 3"], 3)
    assert status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "3"}]
    assert rc.exit_code(json.loads(json.dumps(status))) == 3
    assert rc.exit_code(rc.exit_status(["true"], 0)) == 0
    assert rc.exit_code(rc.failure("container not found")) is None
    assert rc.parse_resize(b'{"Width": 80, "Height": 24}') == (80, 24)
    assert rc.parse_resize(b'{"Width": -1, "Height": 24}') is None
    assert rc.parse_resize(b"garbage") is None


async def test_streams_per_session_are_bounded(monkeypatch):
    monkeypatch.setattr(spdy, "MAX_STREAMS", 3)
    codec = spdy.HeaderCodec()
    pipe = Pipe(b"".join(syn_stream(codec, 2 * i + 1, {"streamtype": ["data"]}) for i in range(5)))
    pipe.reader.feed_eof()
    accepted = []

    async def on_stream(stream: spdy.Stream) -> None:
        accepted.append(stream.id)
    await spdy.Session(pipe, pipe.write).serve(on_stream)
    assert accepted == [1, 3, 5]
    refused = [f for f in await frames_of(bytes(pipe.written)) if f.kind == spdy.RST_STREAM]
    assert [(f.stream_id, struct.unpack(">II", f.payload)[1]) for f in refused] == [(7, spdy.RST_REFUSED_STREAM),
                                                                                    (9, spdy.RST_REFUSED_STREAM)]


async def test_a_slow_reader_stops_the_session_reading():
    codec = spdy.HeaderCodec()
    chunk = b"x" * 32 * 1024
    frames = syn_stream(codec, 1, {"streamtype": ["stdin"]}) + spdy.data_frame(1, 0, chunk) * 20   # 640 KiB
    pipe = Pipe(frames)
    pipe.reader.feed_eof()
    streams: list[spdy.Stream] = []

    async def on_stream(stream: spdy.Stream) -> None:
        streams.append(stream)
    serving = asyncio.create_task(spdy.Session(pipe, pipe.write).serve(on_stream))
    for _ in range(50):
        await asyncio.sleep(0)
    assert not serving.done()                                 # blocked: 256 KiB queued, nobody reads
    assert streams[0]._buffered <= spdy.STREAM_BUFFER + len(chunk)
    total = 0
    while data := await streams[0].read():
        total += len(data)
    await serving
    assert total == 20 * len(chunk)
