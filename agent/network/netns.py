"""Network namespaces as the agent sees them: a name, a path, or "the current one".

CNI hands a plugin the sandbox's namespace as a path (`/proc/<pid>/ns/net` or
`/var/run/netns/<name>`); the plugin enters it only from a dedicated thread
(`ns.Do` in containernetworking/plugins), because setns(2) moves one thread,
not the process. We do the same for sysctls, and let pyroute2 open its netlink
socket inside a namespace with `IPRoute(netns=..., flags=0)` (flags=0: a
mistyped name fails instead of silently creating a fresh namespace).
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import threading
from typing import Iterator

from pyroute2 import IPRoute

CLONE_NEWNET = 0x40000000
NETNS_RUN_DIR = "/var/run/netns"
_libc = ctypes.CDLL(None, use_errno=True)


def netns_path(netns: str | None) -> str | None:
    """A name becomes /var/run/netns/<name>; paths stay as they are; None means "current"."""
    if netns is None or "/" in netns:
        return netns
    return f"{NETNS_RUN_DIR}/{netns}"


def sandbox_netns_path(pid: int) -> str:
    """The network namespace of a sandbox process (what Docker calls the sandbox key)."""
    return f"/proc/{pid}/ns/net"


def open_iproute(netns: str | None) -> IPRoute:
    """A synchronous netlink socket in `netns` (call from a worker thread, never the event loop)."""
    path = netns_path(netns)
    return IPRoute() if path is None else IPRoute(netns=path, flags=0)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"setns: {os.strerror(error)}")


@contextlib.contextmanager
def entered(netns: str | None) -> Iterator[None]:
    """Run the body with the calling thread inside `netns`, then come back (threads only)."""
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


def read_sysctl(netns: str | None, key: str) -> str:
    with entered(netns):
        with open("/proc/sys/" + key.replace(".", "/")) as f:
            return f.read().strip()


def nsenter_prefix(netns: str | None) -> list[str]:
    """argv prefix that runs a command (iptables-restore, conntrack) inside `netns`."""
    path = netns_path(netns)
    return [] if path is None else ["nsenter", f"--net={path}"]
