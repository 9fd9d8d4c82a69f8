"""Watchers that do not read are closed once they fall behind, and what they held is bounded.

200 raw connections ask for a watch and then never read (a small receive buffer, so the kernel
cannot absorb the stream for them) while big objects change. The server must close every one
of them (buffer bound or send timeout, as the cacher terminates slow watchers), keep /readyz
answering, and keep its RSS within the guard's bound all along.
"""
from __future__ import annotations

import socket

from minikube_py.testing import eventually

WATCHERS = 200
UPDATES = 30


def _stuck_watch(host: str, port: int, path: str) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)     # before connect: the window stays small
    sock.connect((host, port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    return sock


def _closed_by_server(guard) -> int:
    """How many watchers the server has closed for falling behind (watchcache.py / watch.py log it)."""
    return guard.log_text().count("closing a configmaps watcher")


async def test_watchers_that_do_not_read_are_closed_and_cost_bounded_memory(hostile, hns):
    http, guard = hostile
    host, port = guard.server.url.removeprefix("http://").split(":")
    big = "x" * 400_000
    await http.ok("POST", f"/api/v1/namespaces/{hns}/configmaps", {"metadata": {"name": "big"}, "data": {"k": big}})
    path = f"/api/v1/namespaces/{hns}/configmaps?watch=1"
    closed_before = _closed_by_server(guard)
    sockets = [_stuck_watch(host, int(port), path) for _ in range(WATCHERS)]
    try:
        async with guard.watching():
            for i in range(UPDATES):
                await http.ok("PUT", f"/api/v1/namespaces/{hns}/configmaps/big",
                              {"metadata": {"name": "big"}, "data": {"k": big, "n": str(i)}})
            async def all_closed() -> bool:
                return _closed_by_server(guard) - closed_before >= WATCHERS
            await eventually(all_closed, "every stuck watcher to be closed by the server", timeout=60)
        assert "internal error" not in guard.log_text()
    finally:
        for sock in sockets:
            sock.close()
    # a watcher that reads is not affected
    stream = await http.watch(f"{path}&resourceVersion=0")
    try:
        event = await stream.next()
        assert event["type"] == "ADDED" and event["object"]["metadata"]["name"] == "big"
    finally:
        stream.close()
