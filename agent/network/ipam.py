"""host-local IPAM: hand out pod IPs from the node's spec.podCIDR, remembered on disk.

Mirrors CNI's host-local plugin (/var/lib/cni/networks/<network>/): one file per
allocated address, named after the address and holding the owner's id (the pod
UID). Creating the file *is* the reservation: it is written to a temporary name
and hard-linked into place, and link(2) fails if the address is already taken,
so two allocators can never hand out the same IP, and a restarted agent finds
every address in use exactly where it left it. `last_reserved_ip` makes the
search round-robin, so a just-released IP is not reused at once (stale ARP
caches elsewhere would still point at the old pod).
"""
from __future__ import annotations

import ipaddress
import os
import tempfile
from pathlib import Path

LAST_RESERVED = "last_reserved_ip"


class IPAMExhausted(Exception):
    """Every usable address of the range is allocated."""


class HostLocalIPAM:
    def __init__(self, state_dir: str | Path, network_name: str = "cni0") -> None:
        self.dir = Path(state_dir) / "networks" / network_name
        self.dir.mkdir(parents=True, exist_ok=True)

    # ---- queries -------------------------------------------------------------------------

    def allocations(self) -> dict[str, str]:
        """{ip: owner} for every address currently reserved."""
        out = {}
        for path in self.dir.iterdir():
            if _is_ip(path.name):
                try:
                    out[path.name] = path.read_text().strip()
                except FileNotFoundError:       # released between the listing and the read
                    continue
        return out

    def owned_by(self, owner: str) -> str | None:
        return next((ip for ip, who in self.allocations().items() if who == owner), None)

    # ---- allocate / release --------------------------------------------------------------

    def allocate(self, cidr: str, owner: str) -> str:
        """The owner's address (idempotent: a retried setup gets the same IP back)."""
        existing = self.owned_by(owner)
        if existing is not None and ipaddress.ip_address(existing) in ipaddress.ip_network(cidr):
            return existing
        for candidate in self._candidates(cidr):
            if self._reserve(candidate, owner):
                (self.dir / LAST_RESERVED).write_text(candidate)
                return candidate
        raise IPAMExhausted(f"no free address left in {cidr}")

    def release(self, owner: str) -> list[str]:
        """Free every address `owner` holds; returns them."""
        freed = [ip for ip, who in self.allocations().items() if who == owner]
        for ip in freed:
            (self.dir / ip).unlink(missing_ok=True)
        return freed

    # ---- internals -------------------------------------------------------------------------

    def _candidates(self, cidr: str) -> list[str]:
        """Usable hosts (not network, gateway .1, broadcast), starting after the last reserved."""
        network = ipaddress.ip_network(cidr)
        hosts = [str(ip) for ip in network.hosts()][1:]        # hosts()[0] is the cni0 gateway
        last = self._last_reserved()
        start = hosts.index(last) + 1 if last in hosts else 0
        return hosts[start:] + hosts[:start]

    def _last_reserved(self) -> str | None:
        try:
            return (self.dir / LAST_RESERVED).read_text().strip()
        except FileNotFoundError:
            return None

    def _reserve(self, ip: str, owner: str) -> bool:
        """Atomically create the file `ip` with `owner` inside; False if it already exists."""
        handle, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-")
        try:
            with os.fdopen(handle, "w") as f:
                f.write(owner + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.link(tmp, self.dir / ip)
            return True
        except FileExistsError:
            return False
        finally:
            os.unlink(tmp)


def gateway_of(cidr: str) -> str:
    """cni0's address: the first host of the node's podCIDR."""
    return str(next(ipaddress.ip_network(cidr).hosts()))


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False
