"""Connections from inside a pod's network namespace, for httpGet/tcpSocket probes and hooks.

A socket keeps the namespace it was created in, whatever thread uses it later. So a
helper thread creates the socket inside the pod's namespace (minikube_py/netns.py),
and the event loop connects and talks through it as usual — the same trick CNI
plugins use (ns.Do in containernetworking/plugins).
"""
from __future__ import annotations

import asyncio
import socket

from minikube_py.netns import tcp_socket_in


async def connected_socket(netns_path: str, host: str, port: int) -> socket.socket:
    """A socket of the namespace at `netns_path`, connected to host:port (from inside it)."""
    loop = asyncio.get_running_loop()
    sock = await loop.run_in_executor(None, tcp_socket_in, netns_path)
    try:
        await loop.sock_connect(sock, (host, port))
    except BaseException:
        sock.close()
        raise
    return sock


async def tcp_connect(netns_path: str, host: str, port: int, timeout: float) -> None:
    """Succeeds when something accepts a TCP connection (kubelet's tcpSocket probe)."""
    sock = await asyncio.wait_for(connected_socket(netns_path, host, port), timeout)
    sock.close()


async def http_get(netns_path: str, host: str, port: int, path: str, headers: list[dict[str, str]],
                   timeout: float) -> int:
    """The HTTP status code of GET http://host:port/path, asked from inside the namespace."""
    async def ask() -> int:
        sock = await connected_socket(netns_path, host, port)
        reader, writer = await asyncio.open_connection(sock=sock)
        try:
            lines = [f"GET {path} HTTP/1.0", f"Host: {host}:{port}", "User-Agent: kube-probe/minikube-py"]
            lines += [f"{h['name']}: {h['value']}" for h in headers]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            await writer.drain()
            status_line = await reader.readline()
            return int(status_line.split()[1])
        finally:
            writer.close()
    try:
        return await asyncio.wait_for(ask(), timeout)
    except (IndexError, ValueError) as e:
        raise OSError(f"bad HTTP answer: {e}") from e
