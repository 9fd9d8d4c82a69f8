"""Entering network namespaces: what containernetworking/plugins' `ns` package does for
CNI plugins, used by the node agent (pod network, proxy, DNS, probes) and by the lab
(one namespace per node).

A namespace is named by a name (`/var/run/netns/<name>`, as `ip netns` keeps them), by
a path (`/proc/<pid>/ns/net`, a sandbox's), or None for "the one we are in".

setns(2) moves one *thread*, not the process, so a namespace is only ever entered from
a worker thread (`ns.Do`), never from the event loop, and left again at once. What is
created inside keeps the namespace it was born in: a socket opened there (probes), a
netlink socket — pyroute2's `IPRoute(netns=..., flags=0)`; flags=0 so that a mistyped
name fails instead of silently creating a fresh namespace. Child processes are started
inside with `nsenter --net=<path>`.

It lives in the shared core (not under agent/) so that the lab may use it too without
minikube_py importing a component.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import socket
import threading
from collections.abc import Iterator

from pyroute2 import IPRoute

CLONE_NEWNET = 0x40000000
NETNS_RUN_DIR = "/var/run/netns"
_libc = ctypes.CDLL(None, use_errno=True)


def netns_path(netns: str | None) -> str | None:
    """A name becomes /var/run/netns/<name>; paths stay as they are; None means "current"."""
    if netns is None or "/" in netns:
        return netns
    return f"{NETNS_RUN_DIR}/{netns}"


def netns_exists(netns: str) -> bool:
    path = netns_path(netns)
    return path is not None and os.path.exists(path)


def sandbox_netns_path(pid: int) -> str:
    """The network namespace of a sandbox process (what Docker calls the sandbox key)."""
    return f"/proc/{pid}/ns/net"


def open_iproute(netns: str | None) -> IPRoute:
    """A synchronous netlink socket in `netns` (call from a worker thread, never the event loop)."""
    path = netns_path(netns)
    return IPRoute() if path is None else IPRoute(netns=path, flags=0)


@contextlib.contextmanager
def open_netns_fd(netns: str) -> Iterator[int]:
    """A file descriptor of the namespace, e.g. to move a link there (IFLA_NET_NS_FD)."""
    fd = os.open(netns_path(netns) or "", os.O_RDONLY)
    try:
        yield fd
    finally:
        os.close(fd)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"setns: {os.strerror(error)}")


@contextlib.contextmanager
def entered(netns: str | None) -> Iterator[None]:
    """Run the body with the calling thread inside `netns`, then come back (worker threads only)."""
    path = netns_path(netns)
    if path is None:
        yield
        return
    with open(f"/proc/self/task/{threading.get_native_id()}/ns/net") as home, open(path) as target:
        _setns(target.fileno())
        try:
            yield
        finally:
            _setns(home.fileno())


def write_sysctl(netns: str | None, key: str, value: str) -> None:
    """Set a per-namespace sysctl such as net.ipv4.ip_forward (worker thread only)."""
    with entered(netns):
        with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
            f.write(value)


def tcp_socket_in(netns: str) -> socket.socket:
    """A non-blocking TCP socket that lives in `netns`, for the event loop to use from any
    thread (worker thread only)."""
    with entered(netns):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    return sock


def nsenter_prefix(netns: str | None) -> list[str]:
    """argv prefix that runs a command (iptables-restore, conntrack, the lab's agents) inside `netns`."""
    path = netns_path(netns)
    return [] if path is None else ["nsenter", f"--net={path}"]
