"""A small authoritative DNS server for the cluster zone (UDP and TCP), on dnslib.

dnslib parses and builds the messages; asyncio carries them. The listening
sockets may be created inside another network namespace (a helper thread
enters it, creates the socket, and comes back: the socket stays there), so a
process that talks to the API server from one namespace can serve pods in
another — the lab uses that to put the DNS server behind 10.96.0.10.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import struct

from dnslib import QTYPE, RCODE, RR, SRV, A, DNSRecord

from agent.dns.records import TTL, ClusterZone
from minikube_py.netns import entered

log = logging.getLogger("agent.dns")


def answer(zone: ClusterZone, request: DNSRecord) -> DNSRecord:
    reply = request.reply()               # sets QR and AA, copies id and question
    reply.header.ra = 0
    for question in request.questions:
        qname, qtype = str(question.qname), QTYPE[question.qtype]
        found = zone.resolve(qname)
        if not found.exists:
            reply.header.rcode = RCODE.NXDOMAIN
            continue
        if qtype in ("A", "ANY"):
            for ip in found.a:
                reply.add_answer(RR(question.qname, QTYPE.A, rdata=A(ip), ttl=TTL))
        if qtype in ("SRV", "ANY"):
            for port, target in found.srv:
                reply.add_answer(RR(question.qname, QTYPE.SRV, rdata=SRV(0, 100, port, target), ttl=TTL))
    return reply


def handle(zone: ClusterZone, data: bytes) -> bytes | None:
    try:
        request = DNSRecord.parse(data)
    except Exception:
        return None                      # not DNS: drop, as servers do
    try:
        return answer(zone, request).pack()
    except Exception:
        log.exception("answering %s", request.q.qname)
        reply = request.reply()
        reply.header.rcode = RCODE.SERVFAIL
        return reply.pack()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, zone: ClusterZone) -> None:
        self.zone = zone

    def connection_made(self, transport: asyncio.DatagramTransport) -> None:  # type: ignore[override]
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        reply = handle(self.zone, data)
        if reply is not None:
            self.transport.sendto(reply, addr)


def _socket(kind: int, host: str, port: int, netns: str | None) -> socket.socket:
    with entered(netns):
        sock = socket.socket(socket.AF_INET, kind)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.setblocking(False)
    return sock


class DnsServer:
    def __init__(self, zone: ClusterZone, host: str, port: int, netns: str | None = None) -> None:
        self.zone, self.host, self.port, self.netns = zone, host, port, netns
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        udp = await asyncio.to_thread(_socket, socket.SOCK_DGRAM, self.host, self.port, self.netns)
        self._udp, _ = await loop.create_datagram_endpoint(lambda: _Udp(self.zone), sock=udp)
        tcp = await asyncio.to_thread(_socket, socket.SOCK_STREAM, self.host, self.port, self.netns)
        self._tcp = await asyncio.start_server(self._serve_tcp, sock=tcp)

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                (length,) = struct.unpack("!H", await reader.readexactly(2))
                reply = handle(self.zone, await reader.readexactly(length))
                if reply is None:
                    break
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self._udp:
            self._udp.close()
        if self._tcp:
            self._tcp.close()
            await self._tcp.wait_closed()
