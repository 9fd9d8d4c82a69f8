"""Running iptables the way kube-proxy's util/iptables does.

- Bulk changes go through one `iptables-restore --noflush` per sync: the kernel
  swaps them in atomically, and `--noflush` leaves every chain we do not name
  (Docker's, the user's) alone. Naming a chain (`:KUBE-SVC-X - [0:0]`) flushes
  *that* chain, which is how a chain is rewritten.
- The jumps from the built-in chains (PREROUTING -> KUBE-SERVICES, ...) are
  ensured one by one with `-C` (check) then `-I` (insert at the top), as
  kube-proxy's EnsureRule does, so they exist exactly once.
- Whatever command we run uses the `iptables` on PATH (the nft backend here),
  never a mix of legacy and nft in one namespace.
"""
from __future__ import annotations

import asyncio
import re
import subprocess
from dataclasses import dataclass

from minikube_py.netns import nsenter_prefix


class IptablesError(Exception):
    pass


@dataclass(frozen=True)
class Jump:
    """`-I <base> -m comment --comment <comment> <match...> -j <target>` in one table."""
    table: str
    base: str
    target: str
    comment: str
    match: tuple[str, ...] = ()

    def args(self) -> list[str]:
        return [self.base, "-m", "comment", "--comment", self.comment, *self.match, "-j", self.target]


def run(netns: str | None, argv: list[str], stdin: bytes | None = None, check: bool = True
        ) -> subprocess.CompletedProcess:
    """Run an iptables/conntrack tool inside `netns` (synchronously; call from a thread)."""
    result = subprocess.run(nsenter_prefix(netns) + argv, input=stdin, capture_output=True, timeout=60)
    if check and result.returncode != 0:
        raise IptablesError(f"{' '.join(argv)}: exit {result.returncode}: {result.stderr.decode().strip()}")
    return result


def restore(netns: str | None, payload: str) -> None:
    """Apply one payload atomically, touching only the chains it names."""
    run(netns, ["iptables-restore", "--noflush", "--wait"], stdin=payload.encode())


def ensure_chain_and_jump(netns: str | None, jump: Jump) -> None:
    """Create the target chain if missing, and the jump to it from the base chain once."""
    run(netns, ["iptables", "-w", "-t", jump.table, "-N", jump.target], check=False)
    if run(netns, ["iptables", "-w", "-t", jump.table, "-C", *jump.args()], check=False).returncode != 0:
        run(netns, ["iptables", "-w", "-t", jump.table, "-I", *jump.args()[:1], "1", *jump.args()[1:]])


def save(netns: str | None, table: str | None = None) -> str:
    """`iptables-save` of one table, or of all tables (one process: the nft cache is loaded once)."""
    return run(netns, ["iptables-save"] + (["-t", table] if table else [])).stdout.decode()


def split_tables(saved: str) -> dict[str, str]:
    """{table: its section of an iptables-save dump}."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^\*(\w+)\n(.*?)^COMMIT", saved, re.MULTILINE | re.DOTALL)}


def chains_in(section: str) -> set[str]:
    """Names of the user-defined chains in one table's section."""
    return set(re.findall(r"^:(\S+) - ", section, flags=re.MULTILINE))


def list_chain(netns: str | None, table: str, chain: str) -> str:
    """`iptables -S <chain>`: one chain's rules; the nft backend fetches only that chain (fast)."""
    return run(netns, ["iptables", "-w", "-t", table, "-S", chain]).stdout.decode()


def has_jump(section: str, jump: Jump) -> bool:
    """Whether the saved table already holds the jump (matched by base chain, comment and target)."""
    comment = f'--comment "{jump.comment}"' if " " in jump.comment else f"--comment {jump.comment}"
    return any(line.startswith(f"-A {jump.base} ") and comment in line and line.endswith(f"-j {jump.target}")
               for line in section.splitlines())


async def restore_async(netns: str | None, payload: str) -> None:
    await asyncio.to_thread(restore, netns, payload)
