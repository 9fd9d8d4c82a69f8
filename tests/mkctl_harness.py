"""mkctl as the tests run it: the real command line in a child process (`python -m
minikube_py.cli.mkctl --server <url> ...`), without a terminal, so the output is the
plain kubectl-style text a script would read. Asynchronous, so that a test's own aiohttp
servers keep serving meanwhile.

`mkctl(...)` runs a command to its end; `start_mkctl(...)` starts a long-running one
(`get -w`, `rollout status`) whose output the test follows line by line, to act once
the command has shown that it is watching, never after a fixed pause.
"""
from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from minikube_py.testing import ROOT


class Server(Protocol):
    """What mkctl is pointed at: an ApiServer, or anything with a URL (an address nobody serves)."""
    @property
    def url(self) -> str: ...


@dataclass
class Result:
    code: int | None
    out: str
    err: str


@dataclass
class RunningMkctl:
    """A started mkctl; `wait_for_line` reads its stdout up to a wanted line, `finish` collects the rest."""
    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)

    async def wait_for_line(self, wanted: Callable[[str], bool], what: str, timeout: float = 30) -> str:
        stdout = self.process.stdout
        assert stdout is not None

        async def read_until_wanted() -> str:
            while line := (await stdout.readline()).decode():
                self.lines.append(line)
                if wanted(line):
                    return line
            raise AssertionError(f"mkctl ended before printing {what}; it printed: {''.join(self.lines)!r}")
        return await asyncio.wait_for(read_until_wanted(), timeout)

    async def finish(self, timeout: float = 60) -> Result:
        out, err = await asyncio.wait_for(self.process.communicate(), timeout)
        return Result(self.process.returncode, "".join(self.lines) + out.decode(), err.decode())


async def start_mkctl(apiserver: Server, *args: str) -> RunningMkctl:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "minikube_py.cli.mkctl", "--server", apiserver.url, *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT)
    return RunningMkctl(process)


async def mkctl(apiserver: Server, *args: str, stdin: str | None = None, timeout: float = 60) -> Result:
    """Run mkctl once, to its end."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "minikube_py.cli.mkctl", "--server", apiserver.url, *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT)
    out, err = await asyncio.wait_for(process.communicate(stdin.encode() if stdin else None), timeout)
    return Result(process.returncode, out.decode(), err.decode())
