"""httpGet/tcpSocket probe verdicts and kubelet's wording for them, on real loopback sockets
(the "pod network namespace" is this process's own, /proc/self/ns/net)."""
from __future__ import annotations

import asyncio
import socket

from agent.kubelet.probes import _http_get, _tcp_socket

OWN_NETNS = "/proc/self/ns/net"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_refused_and_silent_ports_are_worded_as_kubelet_does() -> None:
    port = closed_port()
    refused = await _http_get(OWN_NETNS, {"port": port, "path": "/healthz"}, {}, 1.0)
    assert not refused.ok
    assert refused.message == f'Get "http://127.0.0.1:{port}/healthz": dial tcp 127.0.0.1:{port}: connect: ' \
                              "connection refused"
    tcp = await _tcp_socket(OWN_NETNS, {"port": port}, {}, 1.0)
    assert (tcp.ok, tcp.message) == (False, f"dial tcp 127.0.0.1:{port}: connect: connection refused")

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)
        writer.close()
    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    silent = server.sockets[0].getsockname()[1]
    try:
        slow = await _http_get(OWN_NETNS, {"port": silent}, {}, 0.2)
        assert not slow.ok and slow.message == (f'Get "http://127.0.0.1:{silent}/": context deadline exceeded '
                                                "(Client.Timeout exceeded while awaiting headers)")
        accepted = await _tcp_socket(OWN_NETNS, {"port": silent}, {}, 1.0)
        assert accepted.ok                      # tcpSocket only needs the connection
    finally:
        server.close()
        await server.wait_closed()


async def test_named_ports_resolve_through_the_container_spec() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(b"HTTP/1.0 503 Service Unavailable\r\n\r\n")
        await writer.drain()
        writer.close()
    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    container = {"ports": [{"name": "http", "containerPort": port}]}
    try:
        outcome = await _http_get(OWN_NETNS, {"port": "http"}, container, 1.0)
        assert (outcome.ok, outcome.message) == (False, "HTTP probe failed with statuscode: 503")
    finally:
        server.close()
        await server.wait_closed()
