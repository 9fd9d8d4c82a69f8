"""Memory per watcher: idle watchers, and watchers that stop reading (issue 13).

Starts a private etcd and one `minikube-py apiserver` (random ports, temporary data), then:

  idle   W watchers on a namespace that read everything (nothing changes): RSS growth / W
  slow   W raw connections that ask for a watch and never read (4 KiB receive buffer), while
         E updates of a 100 KB ConfigMap go by: peak RSS growth / W before the server closes
         them, the RSS once it has, and how long closing all of them took

RSS is VmRSS from /proc/<pid>/status, sampled every 50 ms. Usage:
    .venv/bin/python bench/watch_memory_bench.py [--watchers 500] [--updates 30] [--before]
--before: for a server without slow-watcher closing (the code before issue 13): no
--watch-send-timeout flag, and the slow phase samples for 15 s instead of waiting for closes.
Every loop is bounded in count; all traffic goes to 127.0.0.1.
"""
from __future__ import annotations

import argparse
import asyncio
import socket
import time
from pathlib import Path

import aiohttp

from minikube_py.testing import ApiServer, Etcd  # the same real processes the tests use

MiB = 1024 * 1024


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


async def settle(pid: int, seconds: float = 2.0) -> int:
    await asyncio.sleep(seconds)
    return rss(pid)


async def idle_watchers(server: ApiServer, session: aiohttp.ClientSession, count: int) -> float:
    before = await settle(server.pid)
    url = f"{server.url}/api/v1/namespaces/bench/configmaps?watch=1&resourceVersion=0"
    responses = [await session.get(url, timeout=aiohttp.ClientTimeout(total=None)) for _ in range(count)]
    after = await settle(server.pid)
    for response in responses:
        response.close()
    return (after - before) / count


async def slow_watchers(server: ApiServer, session: aiohttp.ClientSession, count: int,
                        updates: int, before_fix: bool) -> tuple[float, float, float]:
    host, port = "127.0.0.1", server.port
    before = await settle(server.pid)
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((host, port))
        sock.sendall(f"GET /api/v1/namespaces/bench/configmaps?watch=1 HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        sockets.append(sock)
    peak, started = before, time.monotonic()
    payload = "x" * 100_000
    for i in range(updates):
        async with session.put(f"{server.url}/api/v1/namespaces/bench/configmaps/big",
                               json={"metadata": {"name": "big"}, "data": {"k": payload, "n": str(i)}}) as r:
            assert r.status == 200, await r.text()
        peak = max(peak, rss(server.pid))
    log = server.log_path
    deadline = time.monotonic() + (15 if before_fix else 120)
    while (before_fix or log.read_text(errors="replace").count("closing a configmaps watcher") < count) \
            and time.monotonic() < deadline:
        peak = max(peak, rss(server.pid))
        await asyncio.sleep(0.05)
    closed_after = time.monotonic() - started
    for sock in sockets:
        sock.close()
    after = await settle(server.pid)
    return (peak - before) / count, (after - before) / count, closed_after


async def main(args: argparse.Namespace) -> None:
    etcd = Etcd()
    etcd.start()
    server = ApiServer(etcd, extra=[] if args.before else ["--watch-send-timeout", "5"])
    try:
        server.start()
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:   # > 100 watches
            async with session.post(f"{server.url}/api/v1/namespaces", json={"metadata": {"name": "bench"}}) as r:
                assert r.status == 201
            async with session.post(f"{server.url}/api/v1/namespaces/bench/configmaps",
                                    json={"metadata": {"name": "big"}, "data": {"k": "x" * 100_000}}) as r:
                assert r.status == 201
            print(f"server RSS at start: {rss(server.pid) / MiB:.0f} MiB")
            idle = await idle_watchers(server, session, args.watchers)
            print(f"idle watchers: {args.watchers}, {idle / 1024:.0f} KiB each")
            peak, left, took = await slow_watchers(server, session, args.watchers, args.updates, args.before)
            print(f"slow watchers: {args.watchers} x {args.updates} updates of 100 KB: "
                  f"peak {peak / 1024:.0f} KiB each, {left / 1024:.0f} KiB each left after they were closed "
                  f"({took:.1f} s to close all)")
    finally:
        server.stop()
        etcd.remove()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--watchers", type=int, default=500)
    parser.add_argument("--updates", type=int, default=30)
    parser.add_argument("--before", action="store_true")
    asyncio.run(main(parser.parse_args()))
